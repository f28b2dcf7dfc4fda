"""A container's filesystem changes read from its overlay2 upper layer on this host.

Docker's diff API answers the same question, but on a busy daemon it takes about half
a second per container; reading the upper folder takes a millisecond. Only names and
``lstat`` results are read (never file contents, never following a link), and the
walk is bounded. When the daemon is remote or its folders are not readable, callers
fall back to the API.
"""

from __future__ import annotations

import os
import stat

from sandbox.environment import ChangeKind, FileChange

OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")
MAX_ENTRIES = 200_000
FIRST = ("tests", "solution", "logs", "etc", "usr", "bin", "sbin", "lib", "lib64", "lib32", "opt")
"""Walked first, so a flood of files elsewhere (a build in the workdir) cannot push the
places the audit judges past the entry cap."""


class OverlayUnavailable(Exception):
    """The upper layer cannot be read here (remote daemon, other driver, no permission)."""


def layer_dirs(inspected: dict) -> tuple[str, list[str]]:
    """(upper, lowers) of an inspected container, or OverlayUnavailable."""
    driver = inspected.get("GraphDriver") or {}
    data = driver.get("Data") or {}
    upper, lower = data.get("UpperDir"), data.get("LowerDir")
    if driver.get("Name") != "overlay2" or not upper or not lower:
        raise OverlayUnavailable(f"storage driver {driver.get('Name')!r} without overlay layers")
    if not os.access(upper, os.R_OK | os.X_OK):
        raise OverlayUnavailable(f"{upper} is not readable from this process")
    return upper, lower.split(":")


def _opaque(path: str) -> bool:
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def _in_lower(lowers: list[str], rel: str) -> os.stat_result | None:
    for lower in lowers:
        try:
            return os.lstat(os.path.join(lower, rel))
        except OSError:
            continue
    return None


def changes(upper: str, lowers: list[str], max_entries: int = MAX_ENTRIES) -> tuple[list[FileChange], bool]:
    """(changes, complete): every path of the upper layer, classified against the lowers.

    A folder that exists below and is not opaque only holds changes: it is not itself
    reported. A whiteout (a 0:0 character device) is a deletion.
    """
    found: list[FileChange] = []
    stack = [""]
    seen = 0
    while stack:
        rel_dir = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(upper, rel_dir) if rel_dir else upper))
        except OSError:
            continue
        # The stack pops last-pushed first: push the places judged by the audit last.
        order = (lambda e: (e.name in FIRST, e.name)) if not rel_dir else (lambda e: e.name)
        for entry in sorted(entries, key=order):
            seen += 1
            if seen > max_entries:
                return found, False
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            path = "/" + rel
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # gone while we looked (a process of the agent's still writes): no change left
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                found.append(FileChange(path, ChangeKind.DELETED))
                continue
            below = _in_lower(lowers, rel)
            is_dir = stat.S_ISDIR(info.st_mode)
            if is_dir:
                stack.append(rel)
                if below is not None and stat.S_ISDIR(below.st_mode) and not _opaque(entry.path):
                    continue
            kind = ChangeKind.ADDED if below is None else ChangeKind.MODIFIED
            found.append(FileChange(path, kind, is_dir))
    found.sort(key=lambda c: c.path)
    return found, True


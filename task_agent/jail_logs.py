"""Copy the jail's log folder out to the trial folder without trusting anything in it.

The agent wrote the source tree, so nothing in it is followed: every name is opened
relative to its parent's descriptor with O_NOFOLLOW; only regular files and folders
are copied; links, devices, fifos and sockets are dropped with a note; a hard-linked
file is copied once; and the total is capped in entries and bytes (a sparse file
counts at its full size, since that is what a copy writes). The destination is the
trial's agent/ folder, which only the parent writes: files it already holds (the
agent's stdout and stderr) are kept, never overwritten.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_DEPTH = 32
CHUNK = 1024 * 1024
_OPEN_SRC = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass
class _Budget:
    entries: int
    bytes: int
    seen: set[tuple[int, int]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.notes) < 20:
            self.notes.append(text)
        elif len(self.notes) == 20:
            self.notes.append("(more entries were left out)")


def copy_tree(src_fd: int, dest: Path, *, max_entries: int, max_bytes: int) -> list[str]:
    """Copy what is under src_fd into dest; returns notes on what was left out."""
    dest.mkdir(parents=True, exist_ok=True)
    dest_fd = os.open(dest, _OPEN_DIR)
    budget = _Budget(max_entries, max_bytes)
    try:
        _copy_dir(src_fd, dest_fd, "", budget, 0)
    finally:
        os.close(dest_fd)
    return budget.notes


def _copy_dir(src_fd: int, dest_fd: int, where: str, budget: _Budget, depth: int) -> None:
    with os.scandir(src_fd) as entries:
        names = sorted(entry.name for entry in entries)
    for name in names:
        rel = f"{where}{name}"
        if budget.entries <= 0:
            budget.note(f"{rel}: over the limit of entries, not copied")
            return
        budget.entries -= 1
        try:
            info = os.stat(name, dir_fd=src_fd, follow_symlinks=False)
        except OSError as exc:
            budget.note(f"{rel}: unreadable ({exc.strerror})")
            continue
        if stat.S_ISDIR(info.st_mode):
            _copy_subdir(src_fd, dest_fd, name, rel, budget, depth)
        elif stat.S_ISREG(info.st_mode):
            _copy_file(src_fd, dest_fd, name, rel, info, budget)
        else:
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
            budget.note(f"{rel}: {kind}, not copied")


def _copy_subdir(src_fd: int, dest_fd: int, name: str, rel: str, budget: _Budget, depth: int) -> None:
    if depth >= MAX_DEPTH:
        budget.note(f"{rel}: deeper than {MAX_DEPTH} folders, not copied")
        return
    try:
        os.mkdir(name, 0o755, dir_fd=dest_fd)
    except FileExistsError:
        pass
    sub_src = _open_source(name, _OPEN_DIR, src_fd, rel, budget)
    if sub_src is None:
        return
    try:
        sub_dest = os.open(name, _OPEN_DIR, dir_fd=dest_fd)
    except OSError as exc:  # the parent's own file of that name is in the way
        os.close(sub_src)
        budget.note(f"{rel}: cannot be a folder here ({exc.strerror}), not copied")
        return
    try:
        _copy_dir(sub_src, sub_dest, f"{rel}/", budget, depth + 1)
    finally:
        os.close(sub_src)
        os.close(sub_dest)


def _copy_file(src_fd: int, dest_fd: int, name: str, rel: str, info: os.stat_result, budget: _Budget) -> None:
    if (info.st_dev, info.st_ino) in budget.seen:
        budget.note(f"{rel}: another name of a file already copied, not copied")
        return
    if info.st_size > budget.bytes:
        budget.note(f"{rel}: {info.st_size} bytes would pass the copy's limit, not copied")
        return
    source = _open_source(name, _OPEN_SRC, src_fd, rel, budget)
    if source is None:
        return
    try:
        if not stat.S_ISREG(os.fstat(source).st_mode):  # replaced between the stat and the open
            budget.note(f"{rel}: not a regular file, not copied")
            return
        try:
            target = os.open(name, _CREATE, 0o644, dir_fd=dest_fd)
        except FileExistsError:
            budget.note(f"{rel}: the trial folder already has this file; the parent's copy is kept")
            return
        budget.seen.add((info.st_dev, info.st_ino))
        try:
            budget.bytes -= _pump(source, target, budget.bytes)
        finally:
            os.close(target)
    finally:
        os.close(source)


def _open_source(name: str, flags: int, dir_fd: int, rel: str, budget: _Budget) -> int | None:
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        budget.note(f"{rel}: unreadable ({exc.strerror})")
        return None


def _pump(source: int, target: int, limit: int) -> int:
    copied = 0
    while copied < limit:
        block = os.read(source, min(CHUNK, limit - copied))
        if not block:
            break
        view = memoryview(block)
        while view:
            view = view[os.write(target, view):]
        copied += len(block)
    return copied


def snapshot_file(src_fd: int, name: str, dest: Path, max_bytes: int, last: tuple[int, int] | None
                  ) -> tuple[int, int] | None:
    """While the jail runs: one regular file of its log folder copied over ``dest`` whole (a
    temporary file renamed), for a watcher such as `climb spot` to read as the agent works.

    Nothing is followed and nothing over ``max_bytes`` is read. Returns the file's
    (mtime, size) to pass back as ``last``, which skips a file that has not changed.
    """
    source = _open_source(name, _OPEN_SRC, src_fd, name, _Budget(1, max_bytes))
    if source is None:
        return last
    try:
        info = os.fstat(source)
        seen = (info.st_mtime_ns, info.st_size)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes or seen == last:
            return last
        tmp = dest.with_name(f".{dest.name}.live")
        target = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            _pump(source, target, max_bytes)
        finally:
            os.close(target)
        os.replace(tmp, dest)
        return seen
    finally:
        os.close(source)

"""A read-only door into a local container, for the verifier's files.

Each archive call into a running container costs Docker a process of its own (about
50 ms, whatever the size). A container of a local daemon therefore starts with an empty
host folder bind-mounted read-only at an unguessable path; at verification time the
parent writes the helper and tests/ into that folder, and they appear inside at once.
The agent, root in the container but without CAP_SYS_ADMIN, can neither write there nor
remount it, so what the helper runs is the parent's, as with an upload. Nothing lands in
the door before verification: the agent phase sees an empty folder.

Used only when the container really shows our file (same device and inode through
``/proc/<init>/root``); otherwise (a remote daemon, a daemon in a VM) the caller uploads.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sandbox.archive import placed_mode
from sandbox.environment import InfraError
from sandbox.helper import Bundle
from sandbox.rootfs import NotHere, open_root, tar_stream

NO_SOURCE = "bind source path does not exist"
"""How a daemon that cannot see our folder refuses the mount (a remote one)."""


def stage_root() -> Path:
    """Where the doors' host folders live: private to this user."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "harness-climb" / "stage"


def new_door(name: str) -> tuple[Path, str]:
    """A fresh empty host folder for container ``name`` and the path it gets inside."""
    root = stage_root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    host = root / name
    shutil.rmtree(host, ignore_errors=True)
    host.mkdir(mode=0o755)
    os.chmod(host, 0o755)  # mkdir's mode is masked by the umask; inside, any verifier user must enter
    return host, f"/.climb-{secrets.token_hex(16)}"


def remove_door(host: str | Path | None) -> None:
    if host:
        shutil.rmtree(host, ignore_errors=True)


def sweep_doors(existing: set[str], min_age_sec: float = 600.0) -> list[str]:
    """Remove the doors of containers that no longer exist (a run killed before its teardown).

    ``existing``: names of the containers that do. A door younger than ``min_age_sec`` is
    left alone: its container may be about to be created. Returns the names removed.
    """
    root = stage_root()
    if not root.is_dir():
        return []
    now = time.time()
    gone = []
    for entry in root.iterdir():
        try:
            old = now - entry.lstat().st_mtime >= min_age_sec
        except OSError:
            continue
        if entry.name not in existing and old:
            remove_door(entry)
            gone.append(entry.name)
    return gone


def _copy_tests(src: Path, dest: Path) -> None:
    """tests/ as an upload (``archive.add_path``, executable) would place it: the same modes,
    links kept as links, anything else left out."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dest)
    elif src.is_dir():
        dest.mkdir()
        os.chmod(dest, 0o755)
        for child in sorted(src.iterdir()):
            _copy_tests(child, dest / child.name)
    elif src.is_file():
        shutil.copyfile(src, dest)
        os.chmod(dest, placed_mode(src.stat().st_mode & 0o777, executable=True))


def fill(host: Path, inside: str, tests_dir: Path, helper: bytes, init_pid: int) -> Bundle | None:
    """Write this verification's helper and tests/ behind the door; the bundle that runs them,
    or None (nothing left behind) when the container does not show our door folder
    (``rootfs.open_root``: the same proof the local reader uses), or the folder cannot be
    written or is gone (``climb gc`` of another process)."""
    root = open_root(init_pid, inside, host)
    if root is None:
        return None
    os.close(root)
    folder = host / f"v-{secrets.token_hex(8)}"
    try:
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)
        binary = folder / "busybox"
        binary.write_bytes(helper)
        binary.chmod(0o755)
        _copy_tests(tests_dir, folder / "tests")
    except OSError:
        remove_door(folder)
        return None
    return Bundle(f"{inside}/{folder.name}", b"", placed=True)


@runtime_checkable
class Staged(Protocol):
    """Optional: a read-only door the parent fills from the host (``sandbox.stage``)."""

    @property
    def door(self) -> str | None:
        """The door's path inside the sandbox, or None when this one has none."""
        ...

    async def stage(self, tests_dir: Path, helper: bytes) -> Bundle | None:
        """This verification's helper and tests/ placed behind the door, or None when the
        sandbox does not show them (the caller uploads instead)."""
        ...


class StageMixin:
    """Mixed into ``DockerContainer``, which supplies spec (``stage_host``, ``stage_at``),
    _run and _init_pid. The door also proves the container's root for reading its files
    on this host (``sandbox.rootfs``)."""

    spec: Any
    _run: Callable[..., asyncio.Future]
    _init_pid: Callable[[], Coroutine[Any, Any, int]]

    @property
    def door(self) -> str | None:
        """The door's path inside the container (the tamper audit leaves it out), if any."""
        return self.spec.stage_at if self.spec.stage_host else None

    async def stage(self, tests_dir: Path, helper: bytes) -> Bundle | None:
        """The verification bundle placed through the door, or None: no door, or the
        daemon does not share our filesystem (the caller uploads instead)."""
        if not self.spec.stage_host:
            return None
        pid = await self._init_pid()
        return await self._run(fill, Path(self.spec.stage_host), self.spec.stage_at, tests_dir, helper, pid)

    async def _local_reader(self) -> Callable[[str], Iterator[bytes] | None] | None:
        """A reader of container paths on this host (``sandbox.rootfs``), or None when there is
        no door to prove the container's root by. The reader gives None where Docker must read."""
        if not self.spec.stage_host:
            return None
        try:
            pid = await self._init_pid()
        except InfraError:
            return None
        host, inside = Path(self.spec.stage_host), self.spec.stage_at

        def read(path: str) -> Iterator[bytes] | None:
            root = open_root(pid, inside, host)
            if root is None:
                return None
            try:
                return tar_stream(root, path)
            except NotHere:
                return None

        return read

"""Reading a local container's files from this host, as a tar stream, following nothing.

Docker's archive download costs the daemon a process of its own, about 65 ms of CPU a
call: with /logs read once a trial, that was a fifth of a trivial trial's CPU. A local
container's root is also reachable here, as ``/proc/<init>/root``. Everything in it may
be the agent's (it is root in there), so the reader:

- opens the root once and proves it is this container's: the verifier's door
  (``sandbox.stage``), a mount no other root has, shows our own folder through it
  (so a recycled pid cannot lead elsewhere);
- walks only with descriptors relative to their parent, every folder opened with
  ``O_NOFOLLOW | O_DIRECTORY`` and every file first as ``O_PATH | O_NOFOLLOW``, then
  checked by ``fstat`` to be a regular file and only then reopened through that very
  descriptor for reading: no link is followed, and no device or fifo the agent made
  (with ``CAP_MKNOD``) is ever opened, since opening a device node from the host would
  reach the host's device;
- names links, devices and fifos as such in the tar (``sandbox.extract`` drops them),
  a file's second name as a hard link, and reads each file for the size it had when
  its header was written;
- gives up (the caller downloads through Docker instead, which resolves links inside
  the container) when a link lies on the way to the requested path.

The consumer is ``sandbox.extract``, with its own caps on bytes and entries; it may stop
reading early, and closing the stream closes every descriptor.
"""

from __future__ import annotations

import os
import stat
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1024 * 1024
MAX_DEPTH = 64
"""Folders deeper than this below the requested path are not entered (named in the tar as
one dropped entry, so the copy's warnings say so)."""
MAX_LISTED = 100_000
"""Names read from one folder: more than ``sandbox.extract`` takes from a whole stream, and a
bounded list to sort, however many names the agent made (the rest is named as not copied)."""
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class NotHere(Exception):
    """The path cannot be read from this host without following a link: ask Docker."""


def open_root(init_pid: int, door_inside: str, door_host: Path) -> int | None:
    """A descriptor of the container's root, or None when it cannot be proven to be it."""
    if init_pid <= 0:
        return None
    try:
        root = os.open(f"/proc/{init_pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        theirs = os.stat(door_inside.lstrip("/"), dir_fd=root, follow_symlinks=False)
        ours = os.stat(door_host, follow_symlinks=False)
    except OSError:
        os.close(root)
        return None
    if (theirs.st_dev, theirs.st_ino) != (ours.st_dev, ours.st_ino):
        os.close(root)
        return None
    return root


def tar_stream(root: int, path: str) -> Iterator[bytes]:
    """``path`` (absolute, in the container) as Docker's archive gives it: a tar whose top
    entry is the path's last name. Consumes (closes) ``root``.

    Raises:
        FileNotFoundError: the path does not exist.
        NotHere: a link (or something that is not a folder) lies on the way.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        os.close(root)
        raise NotHere(path)
    try:
        parent = _walk_to(root, parts[:-1])
    finally:
        os.close(root)
    try:
        st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        os.close(parent)
        raise
    if stat.S_ISLNK(st.st_mode):
        os.close(parent)
        raise NotHere(path)
    return _stream(parent, parts[-1])


def _walk_to(root: int, parts: list[str]) -> int:
    """A descriptor of the folder at parts below root, entering no link."""
    current = os.open(".", _DIR_FLAGS, dir_fd=root)
    for name in parts:
        try:
            child = os.open(name, _DIR_FLAGS, dir_fd=current)
        except FileNotFoundError:
            os.close(current)
            raise
        except OSError as exc:  # ELOOP (a link) or ENOTDIR
            os.close(current)
            raise NotHere(name) from exc
        os.close(current)
        current = child
    return current


def _stream(parent: int, name: str) -> Iterator[bytes]:
    seen: dict[tuple[int, int], str] = {}
    try:
        yield from _entry(parent, name, name, 0, seen)
        yield b"\0" * (2 * tarfile.BLOCKSIZE)
    finally:
        os.close(parent)


def _entry(folder: int, name: str, arcname: str, depth: int, seen: dict[tuple[int, int], str]) -> Iterator[bytes]:
    try:
        st = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError:
        return  # gone while we looked
    info = tarfile.TarInfo(arcname)
    info.mode, info.mtime, info.uid, info.gid = stat.S_IMODE(st.st_mode), int(st.st_mtime), st.st_uid, st.st_gid
    if stat.S_ISDIR(st.st_mode):
        yield from _folder(folder, name, arcname, info, depth, seen)
    elif stat.S_ISREG(st.st_mode):
        yield from _file(folder, name, info, seen)
    elif stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        try:
            info.linkname = os.readlink(name, dir_fd=folder)
        except OSError:
            return
        yield _header(info)
    else:  # a device, fifo or socket: named, never opened
        info.type = tarfile.FIFOTYPE
        yield _header(info)


def _folder(parent: int, name: str, arcname: str, info: tarfile.TarInfo, depth: int,
            seen: dict[tuple[int, int], str]) -> Iterator[bytes]:
    if depth >= MAX_DEPTH:
        info.name, info.type = f"{arcname} [deeper than {MAX_DEPTH} levels: not copied]", tarfile.FIFOTYPE
        yield _header(info)
        return
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError:
        return  # replaced by a link or a file since its stat, or gone: nothing to enter
    try:
        info.type = tarfile.DIRTYPE
        yield _header(info)
        names, more = _names(fd)
        for child in names:
            yield from _entry(fd, child, f"{arcname}/{child}", depth + 1, seen)
        if more:
            info.name, info.type = f"{arcname} [more than {MAX_LISTED} names: the rest not copied]", tarfile.FIFOTYPE
            yield _header(info)
    finally:
        os.close(fd)


def _names(fd: int) -> tuple[list[str], bool]:
    """The folder's names in lexical order, as Docker's archive walks (so of two names of one
    file the first by name carries the data), at most ``MAX_LISTED``; and whether there were more."""
    names: list[str] = []
    with os.scandir(fd) as entries:
        for entry in entries:
            if len(names) == MAX_LISTED:
                return sorted(names), True
            names.append(entry.name)
    return sorted(names), False


def _file(folder: int, name: str, info: tarfile.TarInfo, seen: dict[tuple[int, int], str]) -> Iterator[bytes]:
    try:
        handle = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    except OSError:
        return
    try:
        st = os.fstat(handle)
        if not stat.S_ISREG(st.st_mode):
            return  # swapped for something else since its stat: skip it
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in seen:
            info.type, info.linkname = tarfile.LNKTYPE, seen[key]
            yield _header(info)
            return
        seen[key] = info.name
        # Reopened through the descriptor itself: the same inode, whatever the name points at now.
        reader = os.open(f"/proc/self/fd/{handle}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return
    finally:
        os.close(handle)
    try:
        info.size = st.st_size
        yield _header(info)
        yield from _data(reader, st.st_size)
    finally:
        os.close(reader)


def _data(fd: int, size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes (zeros where the file shrank since), padded to a tar block."""
    left = size
    while left > 0:
        chunk = os.read(fd, min(CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        yield chunk
    if left > 0:
        yield b"\0" * left
    pad = -size % tarfile.BLOCKSIZE
    if pad:
        yield b"\0" * pad


def _header(info: tarfile.TarInfo) -> bytes:
    if not info.mtime:
        info.mtime = int(time.time())
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")

"""Writing what a sandbox sent (a tar stream) into the trial folder, on the parent's terms.

Everything here may have been written by the agent: the tar's names, its links and
its sizes, and also the host folder it lands in (the jail writes the trial's
``agent/`` folder directly, so a symlink may already wait there). So:

- only regular files and directories are written; symbolic and hard links, devices
  and fifos are dropped and counted;
- names that are absolute or contain ``..`` are dropped;
- every folder on the way is opened with ``O_NOFOLLOW`` relative to its parent's
  descriptor, so a symlinked folder (made by the jail, or by an earlier member) is
  never entered;
- every file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW``: nothing existing is
  ever opened for writing, so neither a symlink nor a hard link is written through,
  and a file the parent wrote first wins;
- files are written mode 0644 and folders 0755, whatever the tar says;
- bytes read from the stream, members and each file's size are capped; a file over
  its cap keeps its head and tail.

``neutralize`` clears the links and special files the jail itself left in its folder.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CUT_MARK = "\n[... {cut} bytes cut: the file was {size} bytes ...]\n"
COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps of one extraction."""

    max_stream_bytes: int
    """Bytes read from the stream; beyond this the extraction stops (``stopped`` says so)."""
    file_max_bytes: int
    """A file larger than this keeps only its first and last ``keep_bytes``."""
    keep_bytes: int = 1024 * 1024
    max_members: int = 50_000


@dataclass
class Report:
    """What an extraction wrote and what it refused."""

    files: int = 0
    written_bytes: int = 0
    links_dropped: list[str] = field(default_factory=list)
    unsafe_dropped: list[str] = field(default_factory=list)
    """Absolute or ``..`` names, special files, and members whose way or place was taken
    (a link, or a file that already existed)."""
    truncated: list[tuple[str, int]] = field(default_factory=list)
    """(member name, original size) of files cut to head and tail."""
    stopped: str | None = None
    """Why extraction ended before the stream did (a cap)."""
    stopped_in: tuple[str, int] | None = None
    """(name, size) of the member being read when the extraction stopped."""
    seen: list[str] = field(default_factory=list)
    """Every member name read, in order (for callers that need to know what arrived)."""

    def summary(self) -> str | None:
        """One line for a trial's warnings, or None when nothing was refused or cut."""
        parts = []
        if self.links_dropped:
            parts.append(f"{len(self.links_dropped)} links dropped (e.g. {self.links_dropped[0]})")
        if self.unsafe_dropped:
            parts.append(f"{len(self.unsafe_dropped)} unsafe entries dropped (e.g. {self.unsafe_dropped[0]})")
        if self.truncated:
            name, size = self.truncated[0]
            parts.append(f"{len(self.truncated)} files cut to head and tail (e.g. {name}, {size} bytes)")
        if self.stopped:
            parts.append(f"stopped: {self.stopped}")
        return "; ".join(parts) or None


class StreamTooLarge(Exception):
    """The stream passed its byte cap."""


class _ChunkReader(io.RawIOBase):
    """A file object over an iterator of byte chunks, counting against a cap."""

    def __init__(self, chunks: Iterable[bytes], cap: int):
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""
        self.total = 0
        self._cap = cap

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self.total += len(chunk)
            if self.total > self._cap:
                raise StreamTooLarge(f"more than {self._cap} bytes")
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


Route = Callable[[tuple[str, ...]], tuple[Path, tuple[str, ...]] | None]
"""Maps a member's name parts to (host base folder, parts below it), or None to skip it."""


def safe_parts(name: str) -> tuple[str, ...] | None:
    """The name's components, or None when it is absolute or climbs with '..'."""
    if name.startswith("/") or "\0" in name:
        return None
    parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "."))
    if not parts or any(p == ".." for p in parts):
        return None
    return parts


def into(base: Path) -> Route:
    """A route that puts every member below base."""
    return lambda parts: (base, parts)


def extract(chunks: Iterable[bytes], route: Route, limits: Limits) -> Report:
    """Write the tar stream's regular files and folders where route says, safely (see module doc)."""
    report = Report()
    reader = _ChunkReader(chunks, limits.max_stream_bytes)
    member = None
    try:
        with tarfile.open(fileobj=io.BufferedReader(reader, COPY_CHUNK), mode="r|") as tar:
            for member in tar:
                report.seen.append(member.name)
                if len(report.seen) > limits.max_members:
                    report.stopped = f"more than {limits.max_members} entries"
                    break
                _one(tar, member, route, limits, report)
    except StreamTooLarge as exc:
        report.stopped = str(exc)
        report.stopped_in = (member.name, member.size) if member is not None else None
    except tarfile.TarError as exc:
        report.stopped = f"unreadable archive: {exc}"
    return report


def _one(tar: tarfile.TarFile, member: tarfile.TarInfo, route: Route, limits: Limits, report: Report) -> None:
    parts = safe_parts(member.name)
    placed = route(parts) if parts else None
    if parts is None:
        report.unsafe_dropped.append(member.name)
        return
    if placed is None:
        return
    base, rel = placed
    if member.issym() or member.islnk():
        report.links_dropped.append(member.name)
        return
    if not (member.isreg() or member.isdir()):
        report.unsafe_dropped.append(member.name)
        return
    if not rel:
        return  # the base folder itself: it exists, made by the parent
    try:
        folder = _open_folders(base, rel if member.isdir() else rel[:-1])
    except OSError:
        report.unsafe_dropped.append(member.name)
        return
    try:
        if member.isreg():
            _write_file(tar, member, folder, rel[-1], limits, report)
    finally:
        os.close(folder)


def _open_folders(base: Path, parts: tuple[str, ...]) -> int:
    """A descriptor of base/parts, creating missing folders and entering no symlink."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts:
            try:
                os.mkdir(part, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
            child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_file(tar: tarfile.TarFile, member: tarfile.TarInfo, folder: int, name: str,
                limits: Limits, report: Report) -> None:
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                     dir_fd=folder)
    except OSError:
        report.unsafe_dropped.append(member.name)  # taken: a link, a folder, or a file written first
        return
    source = tar.extractfile(member)
    with os.fdopen(fd, "wb") as out:
        if source is None:
            return
        if member.size <= limits.file_max_bytes:
            report.written_bytes += _copy(source, out, member.size)
        else:
            report.written_bytes += _copy_head_and_tail(source, out, member.size, limits.keep_bytes)
            report.truncated.append((member.name, member.size))
    report.files += 1


def neutralize(folder: Path) -> list[str]:
    """Remove every entry below folder that is not a regular file or a folder (symlinks,
    fifos, sockets, devices), so nothing that later reads the trial folder can be led
    elsewhere or blocked. Returns the removed names, relative to folder."""
    removed = []
    for dirpath, dirnames, filenames, dirfd in os.fwalk(folder, follow_symlinks=False):
        for name in dirnames + filenames:
            info = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                os.unlink(name, dir_fd=dirfd)
                removed.append(os.path.relpath(os.path.join(dirpath, name), folder))
    return sorted(removed)


def read_tail(path: Path, limit: int) -> str | None:
    """The last ``limit`` bytes of a file the agent could have replaced, or None when it is
    not a regular file: no link is followed, and a fifo is never read (it would block)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fd).st_size
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        fh.seek(max(0, size - limit))
        return fh.read(limit).decode("utf-8", errors="replace")


def append_text(path: Path, text: str) -> bool:
    """Append to a regular file the agent could have replaced; never through a link, never
    into a fifo or device. Returns whether it was written."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    with os.fdopen(fd, "ab") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fh.write(text.encode())
    return True


def _copy(source, out, size: int) -> int:
    left = size
    while left > 0:
        data = source.read(min(COPY_CHUNK, left))
        if not data:
            break
        out.write(data)
        left -= len(data)
    return size - left


def _copy_head_and_tail(source, out, size: int, keep: int) -> int:
    written = _copy(source, out, keep)
    skip = size - 2 * keep
    while skip > 0:
        data = source.read(min(COPY_CHUNK, skip))
        if not data:
            break
        skip -= len(data)
    mark = CUT_MARK.format(cut=size - 2 * keep, size=size).encode()
    out.write(mark)
    return written + len(mark) + _copy(source, out, keep)

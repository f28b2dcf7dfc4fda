"""Files in and out of an environment through its two archive calls, for every backend.

A backend gives ``put_archive`` (a tar unpacked at a container path), ``get_archive``
(a container path's tar, streamed to a consumer) and ``_blocking`` (where it runs a
blocking call); uploads, single files and safe downloads follow from those alone.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from sandbox.archive import bytes_tar, path_tar
from sandbox.environment import InfraError
from sandbox.extract import Limits, Report, extract, into

T = TypeVar("T")
DOWNLOAD_LIMITS = Limits(max_stream_bytes=200 * 1024 * 1024, file_max_bytes=64 * 1024 * 1024)


class ArchiveFiles:
    """upload, write_file, download and read_file over a backend's archive calls."""

    async def put_archive(self, data: bytes, dest: str = "/") -> None:
        raise NotImplementedError

    async def get_archive(self, path: str, consume: Callable[[Iterable[bytes]], T]) -> T:
        raise NotImplementedError

    async def _blocking(self, fn: Callable[..., T], *args: Any) -> T:
        raise NotImplementedError

    async def upload(self, src: Path, dest: str, executable: bool = False) -> None:
        data = await self._blocking(path_tar, Path(src), dest, executable)
        await self.put_archive(data, "/")

    async def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        await self.put_archive(bytes_tar(path, data, mode), "/")

    async def download(self, src: str, dest: Path, limits: Limits = DOWNLOAD_LIMITS) -> Report:
        """Copy src into the host folder dest (src's basename is created inside dest), safely."""
        Path(dest).mkdir(parents=True, exist_ok=True)
        return await self.get_archive(src, lambda stream: extract(stream, into(Path(dest)), limits))

    async def read_file(self, path: str, max_bytes: int = 10_000_000) -> bytes:
        def first_regular(stream: Iterable[bytes]) -> bytes:
            parts, size = [], 0
            for chunk in stream:  # a tar of one file: its data plus headers and padding
                parts.append(chunk)
                size += len(chunk)
                if size > max_bytes + 64 * 1024:
                    raise InfraError(f"{path} is larger than {max_bytes} bytes", "file")
            with tarfile.open(fileobj=io.BytesIO(b"".join(parts))) as tar:
                member = tar.next()
                if member is None or not member.isreg():
                    raise FileNotFoundError(f"{path} is not a regular file")
                if member.size > max_bytes:
                    raise InfraError(f"{path} is larger than {max_bytes} bytes", "file")
                fh = tar.extractfile(member)
                return fh.read() if fh else b""

        return await self.get_archive(path, first_regular)

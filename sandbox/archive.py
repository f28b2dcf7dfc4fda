"""Tar archives into containers: what we upload is readable by any user.

What comes back out is written by ``sandbox.extract``, which trusts nothing in it."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path, PurePosixPath


def placed_mode(mode: int, executable: bool) -> int:
    """A task file's mode once placed in a sandbox: readable by any user (the phase user may
    not be root), executable by all when asked or when anyone could execute it already."""
    mode |= 0o444
    if executable or mode & 0o111:
        mode |= 0o555
    return mode


def add_path(tar: tarfile.TarFile, src: Path, arcname: str, executable: bool) -> None:
    """Add src under arcname, readable by any user (the phase user may not be root)."""
    info = tar.gettarinfo(str(src), arcname)
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if info.isdir():
        info.mode = 0o755
        tar.addfile(info)
        for child in sorted(src.iterdir()):
            add_path(tar, child, f"{arcname}/{child.name}", executable)
        return
    if info.isreg():
        info.mode = placed_mode(info.mode, executable)
        with src.open("rb") as fh:
            tar.addfile(info, fh)
    elif info.issym():
        tar.addfile(info)


def path_tar(src: Path, dest: str, executable: bool = False) -> bytes:
    """A tar that, extracted at '/', places src (file or directory) at dest."""
    dest_rel = PurePosixPath(dest).relative_to("/").as_posix()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        add_path(tar, Path(src), dest_rel, executable)
    return buf.getvalue()


def bytes_tar(dest: str, data: bytes, mode: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(PurePosixPath(dest).relative_to("/").as_posix())
        info.size = len(data)
        info.mode = mode
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()

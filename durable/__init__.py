"""Durable file writes: a file is replaced whole or not at all, and what is written is on disk.

One helper for every package that must survive a crash mid-write: the sandbox's result.json,
the ledger's state.json, the pairings state, the task agent's trajectory (written inside the
jail, so this module is part of the jail's runtime). Stdlib-only, and imports nothing of ours,
so everyone may import it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["fsync_dir", "write_atomic", "write_json_atomic"]


def fsync_dir(path: Path) -> None:
    """Make a folder's entries durable: a new or renamed file survives a crash only once its
    directory entry does."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old file or the new one, never half.

    Written to ``.NAME.tmp`` beside it, fsynced, renamed over it, then the folder is fsynced.
    One writer per path at a time (the temporary name is fixed, so a crash leaves no litter
    beyond that one file, which the next write replaces). A write that fails (a full disk)
    removes its temporary file before the error goes on: the old file stays, alone.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path, data: Any, *, indent: int = 2, **dumps: Any) -> None:
    """``write_atomic`` of ``data`` as JSON (with a final newline); ``dumps`` go to ``json.dumps``."""
    write_atomic(path, json.dumps(data, indent=indent, **dumps) + "\n")

"""Disk space for a climb: enough of it before the baseline, and a full disk told apart from
every other failure (a climb that hits one stops where it is, resumable, and says so)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Protocol

from meta.climb.errors import DiskFullError
from sandbox.environment import DISK_FULL_ERRNOS


def free_bytes(path: Path) -> int:
    """Free bytes on the file system that holds ``path`` (or would: the nearest existing parent)."""
    path = Path(path).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def low_space(paths: list[Path], min_free_gb: float) -> tuple[Path, float] | None:
    """The first of ``paths`` with less than ``min_free_gb`` free, and its free GB; None if all have room."""
    for path in paths:
        free_gb = free_bytes(path) / 1e9
        if free_gb < min_free_gb:
            return path, free_gb
    return None


class RunFolder(Protocol):
    """What the disk checks use of a climb's context (``meta.climb.setup.ClimbContext``)."""

    run_dir: Path

    @property
    def docker_root(self) -> Path | None: ...

    def prune_old_trials(self, keep_last: int = 3) -> int: ...

    def event(self, kind: str, exp: int | None = None, **data: Any) -> Any: ...


def space_paths(ctx: RunFolder) -> list[Path]:
    """Where a climb grows: its run folder and Docker's data root (images, container layers),
    when that is on this machine."""
    return [ctx.run_dir] + ([ctx.docker_root] if ctx.docker_root else [])


def check_room_for_baseline(ctx: RunFolder, min_free_gb: float) -> None:
    """Before any trial: a baseline on a disk below ``min_free_gb`` would fill it half-way
    through, and there are no old trials yet to prune.

    Raises:
        DiskFullError: Naming the disk, its free space, the setting and how to go on.
    """
    low = low_space(space_paths(ctx), min_free_gb)
    if low:
        path, free_gb = low
        raise DiskFullError(
            f"only {free_gb:.2f} GB free on the disk of {path}; a climb starts with at least min_free_gb = "
            f"{min_free_gb:g} GB free (trials, images and logs grow during it). Free some space (climb gc "
            f"--images, docker system df), then go on with: climb run --resume {ctx.run_dir}")


def room_after_pruning(ctx: RunFolder, min_free_gb: float) -> bool:
    """Whether ``min_free_gb`` is free, pruning old trials' bulky files first when it is not."""
    free_gb = min(free_bytes(p) for p in space_paths(ctx)) / 1e9
    if free_gb >= min_free_gb:
        return True
    freed = ctx.prune_old_trials(keep_last=3)
    free_after = min(free_bytes(p) for p in space_paths(ctx)) / 1e9
    ctx.event("disk_pruned", free_gb=round(free_gb, 2), freed_mb=round(freed / 1e6, 1),
              free_after_gb=round(free_after, 2))
    return free_after >= min_free_gb


def disk_full_cause(exc: BaseException | None) -> OSError | None:
    """The full-disk OSError behind ``exc``: itself, its cause or context, or one inside an
    exception group (a batch of trials raises one). None when a full disk is not the cause."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc] if exc is not None else []
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def disk_full_error(cause: OSError | str, run_dir: Path) -> DiskFullError:
    """The message a climb stopped by a full disk ends with: the cause, what is safe, how to go on."""
    where = f" ({cause.filename})" if isinstance(cause, OSError) and cause.filename else ""
    text = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
    return DiskFullError(
        f"the disk is full: {text}{where}. The climb stopped at its last safe point: state.json and the "
        f"ledger in {run_dir} hold everything decided so far. Free some space (climb gc --images removes task "
        f"images no run uses), then go on with: climb run --resume {run_dir}")

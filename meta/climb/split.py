"""The train / held-out split: deterministic, seeded, independent of task order."""

from __future__ import annotations

import hashlib

from meta.climb.config import SplitConfig


def split_tasks(task_ids: list[str], config: SplitConfig) -> tuple[list[str], list[str]]:
    """Return (train, heldout), each sorted.

    Explicit lists win; otherwise the tasks with the smallest seeded hash are held
    out, so adding a task to the benchmark moves no other task across the split.

    Raises:
        ValueError: explicit lists name unknown tasks, overlap, or leave train empty.
    """
    ids = sorted(set(task_ids))
    known = set(ids)
    if config.train is not None or config.heldout is not None:
        heldout = sorted(set(config.heldout or []))
        train = sorted(set(config.train)) if config.train is not None else [t for t in ids if t not in heldout]
        unknown = sorted((set(train) | set(heldout)) - known)
        if unknown:
            raise ValueError(f"split names unknown tasks: {unknown}")
        if set(train) & set(heldout):
            raise ValueError(f"tasks both train and held-out: {sorted(set(train) & set(heldout))}")
    else:
        count = round(len(ids) * config.heldout_fraction)
        if config.heldout_fraction > 0 and len(ids) >= 2:
            count = max(1, count)
        ranked = sorted(ids, key=lambda t: hashlib.sha256(f"{config.seed}:{t}".encode()).hexdigest())
        heldout = sorted(ranked[:count])
        train = [t for t in ids if t not in heldout]
    if not train:
        raise ValueError("the split leaves no train tasks")
    return train, heldout

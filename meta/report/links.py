"""Where the report links to: trial folders per (experiment, task), and relative hrefs.

Links are relative to the report's folder, so a run folder copied elsewhere (report
included) still links to its own trials.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from meta.report.data import RunRecord


def href(target: Path, out: Path) -> str:
    """``target`` as a link from a page in ``out``."""
    return quote(Path(os.path.relpath(target, out)).as_posix())


def candidate_trials(record: RunRecord) -> dict[tuple[int, str], list[Path]]:
    """The trial folders that measured each candidate on each train task (experiment 0: the
    baseline), the ones a heatmap cell summarises."""
    found: dict[tuple[int, str], list[Path]] = defaultdict(list)
    for event in record.batches(stage="baseline"):
        for result, folder in record.batch_trials(event):
            found[(0, result.task)].append(folder)
    for event in record.batches(stage="decide"):
        for result, folder in record.batch_trials(event):
            if result.agent == "candidate" and isinstance(event.get("exp"), int):
                found[(event["exp"], result.task)].append(folder)
    return dict(found)


def experiment_folder(record: RunRecord, exp: int) -> Path:
    return record.run_dir / "experiments" / f"exp-{exp:04d}"

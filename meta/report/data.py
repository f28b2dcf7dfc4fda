"""A climb's ledger read for reports: results.tsv and events.jsonl, never written.

The report and the pairings matrix read only what the dashboard reads (the
ledger), plus files the ledger points at (diff.patch, agent snapshots, trial
folders named by ``trial_batch`` events), so they always agree with it. Reading
is side-effect free: a climb may be appending while a report is drawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from meta.ledger.store import EVENTS_FILE, RESULTS_FILE, ResultRow
from sandbox.results import TrialResult

UNSCORED = ("invalid", "crash", "meta_failed")
"""Statuses whose candidate never ran on the train suite."""
RUN_FOLDERS = ("baseline", "experiments", "heldout", "final")
"""Top-level folders of a run folder that hold trial batches."""


def _lines(path: Path) -> list[str]:
    """Complete lines only: a line being appended right now is left out."""
    if not path.is_file():
        return []
    return path.read_text(encoding="utf-8", errors="replace").split("\n")[:-1]


@dataclass
class RunRecord:
    """Everything a report shows about one climb."""

    run_dir: Path
    rows: list[ResultRow]
    events: list[dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)
    """config.json, for the report's heading (models, budget) only."""

    @classmethod
    def load(cls, run_dir: Path) -> RunRecord:
        """Read a run folder.

        Raises:
            FileNotFoundError: it has no results.tsv (not a climb run folder).
        """
        run_dir = Path(run_dir).resolve()
        if not (run_dir / RESULTS_FILE).is_file():
            raise FileNotFoundError(f"{run_dir} is not a climb run folder (no {RESULTS_FILE})")
        rows = [ResultRow.from_tsv(line + "\n") for line in _lines(run_dir / RESULTS_FILE)[1:] if line]
        events = []
        for line in _lines(run_dir / EVENTS_FILE):
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn line from a crash; the ledger's next writer cuts it
        config_path = run_dir / "config.json"
        config = json.loads(config_path.read_text()) if config_path.is_file() else {}
        return cls(run_dir, rows, events, config)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("kind") == kind]

    def by_exp(self, kind: str) -> dict[int, dict[str, Any]]:
        """The last event of a kind per experiment (a retried step logs again)."""
        return {e["exp"]: e for e in self.of_kind(kind) if e.get("exp") is not None}

    def gates(self, exp: int) -> list[dict[str, Any]]:
        return [e for e in self.of_kind("gate") if e.get("exp") == exp]

    @property
    def experiments(self) -> list[ResultRow]:
        """One row per experiment, baseline first (stop rows left out)."""
        return [r for r in self.rows if r.status != "stop"]

    @property
    def stop_row(self) -> ResultRow | None:
        return next((r for r in reversed(self.rows) if r.status == "stop"), None)

    @property
    def finished(self) -> bool:
        return self.stop_row is not None

    @property
    def final_table(self) -> dict[str, Any] | None:
        stops = self.of_kind("stop")
        return stops[-1].get("final") if stops else None

    @property
    def split(self) -> tuple[list[str], list[str]]:
        splits = self.of_kind("split")
        return (splits[-1].get("train", []), splits[-1].get("heldout", [])) if splits else ([], [])

    @property
    def incumbent_exp(self) -> int:
        """The experiment whose version is the incumbent now (0: the baseline)."""
        return max((r.exp for r in self.rows if r.status == "keep"), default=0)

    def diff(self, exp: int) -> str:
        path = self.run_dir / "experiments" / f"exp-{exp:04d}" / "diff.patch"
        return path.read_text(errors="replace") if path.is_file() else ""

    def batch_trials(self, event: dict[str, Any]) -> list[tuple[TrialResult, Path]]:
        """The trials of one ``trial_batch`` event, read from the folder it names.

        Trials that started before the batch did (left by a killed process that
        wrote into the same folder) are not part of it and are left out.
        """
        folder = self.local(Path(event.get("folder", "")))
        if not (folder / "trials").is_dir():
            return []
        start = _batch_start(event)
        found = []
        for result_file in sorted((folder / "trials").glob("*/result.json")):
            try:
                result = TrialResult.model_validate_json(result_file.read_text())
            except ValueError:
                continue
            if start and result.started_at and _when(result.started_at) < start:
                continue
            found.append((result, result_file.parent))
        return found

    def local(self, folder: Path) -> Path:
        """A folder the ledger names, found in this run folder even after the run folder was moved.

        The climb logs absolute paths; a run folder copied elsewhere (off the machine
        that ran it) still holds the same layout under its own top-level folders.
        """
        if not folder.is_absolute():
            return self.run_dir / folder
        if folder.is_dir():
            return folder
        parts = folder.parts
        for i, part in enumerate(parts):
            if part in RUN_FOLDERS and (self.run_dir.joinpath(*parts[i:])).is_dir():
                return self.run_dir.joinpath(*parts[i:])
        return folder

    def batches(self, *, stage: str | None = None, exp: int | None = None) -> list[dict[str, Any]]:
        return [e for e in self.of_kind("trial_batch")
                if (stage is None or e.get("stage") == stage) and (exp is None or e.get("exp") == exp)]


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _batch_start(event: dict[str, Any]) -> datetime | None:
    try:
        # One second of slack: the event's clock reading comes after the last trial ends.
        return _when(event["t"]) - timedelta(seconds=float(event.get("seconds", 0)) + 1.0)
    except (KeyError, ValueError, TypeError):
        return None


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def mean_se(values: list[float]) -> tuple[float | None, float | None]:
    """Mean and its standard error (None with fewer than two values)."""
    m = mean(values)
    if m is None or len(values) < 2:
        return m, None
    variance = sum((v - m) ** 2 for v in values) / (len(values) - 1)
    return m, (variance / len(values)) ** 0.5


def short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

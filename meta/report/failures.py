"""What still fails: the incumbent's failed train trials, grouped by how they failed.

The incumbent's train trials are those that measured its version: the baseline
batch if nothing was kept; otherwise the decision batches of the experiment that
kept it (as the candidate), every later decision batch (as the incumbent), and
the final train run. Held-out trials are never read here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meta.report.data import RunRecord, short
from sandbox.results import TrialResult, TrialStatus

TAIL_LINES = 3
_NUMBER = re.compile(r"\d+(\.\d+)?")
_HEX = re.compile(r"\b[0-9a-f]{8,}\b")


@dataclass(frozen=True)
class FailedTrial:
    """One failed train trial of the incumbent."""

    task: str
    status: str
    reward: float | None
    verifier_tail: str
    final_message: str
    trial_dir: Path


@dataclass(frozen=True)
class FailureGroup:
    """Failed trials that ended the same way (numbers and ids normalised away)."""

    key: str
    count: int
    tasks: list[str]
    example: str


def incumbent_trials(record: RunRecord) -> Iterator[tuple[TrialResult, Path]]:
    """Train trials that ran the current incumbent's version."""
    train = set(record.split[0])
    kept = record.incumbent_exp
    wanted: list[tuple[dict[str, Any], str | None]] = []
    if kept == 0:
        wanted += [(e, None) for e in record.batches(stage="baseline")]
    else:
        wanted += [(e, "candidate") for e in record.batches(stage="decide", exp=kept)]
    wanted += [(e, "incumbent") for e in record.batches(stage="decide") if (e.get("exp") or 0) > kept]
    wanted += [(e, "final") for e in record.batches(stage="final") if str(e.get("folder", "")).endswith("train")]
    for event, arm in wanted:
        for result, trial_dir in record.batch_trials(event):
            if result.task in train and (arm is None or result.agent == arm):
                yield result, trial_dir


def failed_trials(record: RunRecord) -> tuple[list[FailedTrial], int]:
    """The incumbent's failed train trials (score below 1), and how many it ran in all."""
    failed, total = [], 0
    for result, trial_dir in incumbent_trials(record):
        if result.status == TrialStatus.INFRA_ERROR:
            continue  # not the agent's failure, and never scored
        total += 1
        if result.score is not None and result.score < 1.0:
            failed.append(FailedTrial(result.task, result.status.value, result.reward,
                                      verifier_tail(trial_dir, result), final_message(trial_dir, result),
                                      trial_dir))
    return failed, total


def verifier_tail(trial_dir: Path, result: TrialResult) -> str:
    """The last lines the verifier printed (or why there is no reward)."""
    path = trial_dir / "verifier" / "test-stdout.txt"
    text = path.read_text(errors="replace") if path.is_file() else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines:
        return "\n".join(lines[-TAIL_LINES:])
    if result.status == TrialStatus.VERIFIER_ERROR:
        return f"[{result.error_kind or 'verifier_error'}] {result.error or ''}".strip()
    return "(the verifier printed nothing)"


def final_message(trial_dir: Path, result: TrialResult) -> str:
    """The agent's last message in its trajectory, with how the trial ended if not ok."""
    message = ""
    path = trial_dir / "agent" / "trajectory.json"
    try:
        steps = json.loads(path.read_text()).get("steps", [])
        texts = [s.get("message") for s in steps if s.get("source") == "agent" and s.get("message")]
        message = str(texts[-1]) if texts else ""
    except (OSError, ValueError, AttributeError):
        pass
    message = message or "(no final message)"
    if result.status != TrialStatus.OK:
        detail = short(result.error or "", 120)
        message = f"[{result.status.value}{': ' + detail if detail else ''}] {message}"
    return message


def group(failed: list[FailedTrial], attribute: str) -> list[FailureGroup]:
    """Group by one text attribute, most frequent first."""
    groups: dict[str, list[FailedTrial]] = {}
    for trial in failed:
        groups.setdefault(normalise(getattr(trial, attribute)), []).append(trial)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [FailureGroup(key, len(members), sorted({m.task for m in members}), getattr(members[0], attribute))
            for key, members in ordered]


def normalise(text: str) -> str:
    """Numbers and hex ids become '#', so 'expected 4111, got 42' and 'expected 4222, got 7' group."""
    text = _HEX.sub("#", text)
    return " ".join(_NUMBER.sub("#", text).split())[:300]

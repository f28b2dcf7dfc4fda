"""The anti-overfitting gate, run on every candidate that the keep rule would keep.

Two checks, either of which marks the candidate ``overfit``:

1. a mechanical leak scan of the lines the candidate adds (``meta.gates.leaks``);
2. a reflection verdict from a judge model that sees only the diff, the
   description and the hypothesis (``meta.gates.reviewer``).

The scan runs first and is free; the judge is asked only if the scan is clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from meta.gates.leaks import LeakFinding, LeakReport, added_lines, scan_leaks, task_names
from meta.gates.reviewer import NO_VERDICT, REFLECT_MAX_TOKENS, Verdict, reflect
from sandbox.task import Task
from models import ModelClient

__all__ = [
    "NO_VERDICT",
    "GateResult",
    "LeakFinding",
    "LeakReport",
    "Verdict",
    "added_lines",
    "gate",
    "reflect",
    "scan_leaks",
]


@dataclass(frozen=True)
class GateResult:
    """The gate's decision on one candidate, with its evidence."""

    passed: bool
    status: Literal["ok", "overfit"]
    leak: LeakReport
    verdict: Verdict | None
    """The judge's verdict; None when it was not asked (leaks found, or no judge configured)."""
    reason: str
    """One line for the ledger. May name tasks, held-out ones included: never show it to the proposer."""


def _leak_reason(report: LeakReport, limit: int = 5) -> str:
    shown = "; ".join(f"{f.task_id}: {f.kind} {f.evidence}" for f in report.findings[:limit])
    more = f" (+{len(report.findings) - limit} more)" if len(report.findings) > limit else ""
    return f"leak scan found task data in the added lines: {shown}{more}"


async def gate(model: ModelClient | None, *, diff: str, description: str, hypothesis: str,
               tasks: Sequence[Task], baseline_source: str,
               max_tokens: int = REFLECT_MAX_TOKENS, thinking: str | int | None = None,
               effort: str | None = None) -> GateResult:
    """Decide whether a candidate is a general improvement or an overfit.

    Args:
        model: The judge; None skips the reflection (leak scan only).
        diff: The candidate's diff against the incumbent.
        description: The proposer's description of the edit.
        hypothesis: Why the proposer expects it to help.
        tasks: Every task of the benchmark, train and held-out.
        baseline_source: The incumbent's agent.py (its literals are not leaks).
        max_tokens: Cap per judge reply.
        thinking, effort: The judge's settings (see ``reflect``).

    Raises:
        ModelError: The judge could not be reached (infrastructure, not a verdict).
    """
    leak = scan_leaks(added_lines(diff), tasks, baseline_source)
    if not leak.ok:
        return GateResult(False, "overfit", leak, None, _leak_reason(leak))
    if model is None:
        return GateResult(True, "ok", leak, None,
                          "no task data in the added lines; reflection not configured")
    names = [name for task in tasks for name in task_names(task)]
    verdict = await reflect(model, diff=diff, description=description, hypothesis=hypothesis,
                            redact_names=names, max_tokens=max_tokens, thinking=thinking, effort=effort)
    if not verdict.worthwhile:
        return GateResult(False, "overfit", leak, verdict, f"reflection: not worthwhile: {verdict.reason}")
    return GateResult(True, "ok", leak, verdict,
                      f"no task data in the added lines; reflection: {verdict.reason}")

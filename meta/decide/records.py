"""The records of the keep rule: trial requests, the incumbent's record, the decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from meta.decide.stats import suite_score

STATISTIC_NAMES = {"perm_p": "permutation p", "perm_z_p": "permutation p (normal approximation)",
                   "screen_p": "screening p", "naive": "naive rule"}
"""How a person reads a Decision's ``statistic`` (the dashboard and the report say these)."""
STEP_NAMES = {"spot": "first look", "widen": "widened look", "full": "full suite", "sequential": "extra repeats",
              "confirm": "confirmation"}
"""How a person reads the ``step`` of a decision's trial batch (a look of the procedure)."""

Arm = Literal["candidate", "incumbent"]
Verdict = Literal["keep", "discard", "inconclusive"]
Stage = Literal["spot", "full", "sequential"]


@dataclass(frozen=True)
class TrialRequest:
    """Run `repeats` trials of one arm on one task."""

    arm: Arm
    task_id: str
    repeats: int
    step: str = ""
    """Which look of the procedure asked for it (spot, widen, full, sequential, confirm)."""


Measure = Callable[[list[TrialRequest]], Awaitable[dict[tuple[str, str], list[float]]]]
"""Runs one batch (both arms together); rewards per (arm, task_id), infra failures left out."""


@dataclass(frozen=True)
class IncumbentRecord:
    """What is known about the incumbent."""

    per_task: dict[str, list[float]]
    """All rewards measured so far for the incumbent, by task (used to stratify samples)."""
    score_estimates: tuple[tuple[float, float], ...] = ()
    """Unbiased estimates of the incumbent's suite score with their weights (trials): its
    confirmation sample and, from each later decision, the stratified spot sample. None of
    them selected this version or came from a design that looked at its own outcomes.
    Empty means `per_task` itself is such a sample (e.g. the measured baseline)."""


@dataclass(frozen=True)
class Decision:
    """The verdict on one candidate, with the evidence behind it."""

    verdict: Verdict
    """'inconclusive' only when the cap ran out and the config asks for it; else 'discard'."""
    reason: str
    """One human sentence."""
    stage_reached: Stage
    delta: float
    """Mean over the paired tasks of the per-task delta (candidate - incumbent)."""
    delta_se: float
    """Its standard error under the permutation null (0 under the naive rule)."""
    bound: float | None
    """The p-value the verdict used (see `statistic`); None under the naive rule."""
    statistic: str
    """'perm_p': Monte Carlo permutation p of the paired delta (a keep, or a near miss);
    'perm_z_p': its normal approximation (not close to significant); 'screen_p': the
    futility statistic's p (candidate vs the incumbent's pooled evidence); 'naive'."""
    trials_used: int
    """Trials that returned a reward, confirmation included."""
    candidate_per_task: dict[str, list[float]]
    """The candidate's rewards that informed the verdict."""
    incumbent_per_task: dict[str, list[float]]
    """The incumbent's fresh re-measurements, same batches."""
    candidate_score: float
    """Mean over the tasks it ran of the candidate's per-task mean (selection data)."""
    reported_score: float
    """Honest score for the ledger, of whoever is incumbent after this decision."""
    incumbent_estimate: tuple[float, float] | None = None
    """Unbiased estimate of the incumbent's suite score from this decision's stratified spot
    sample, with its weight (trials); None if infra losses left a stratum uncovered."""
    confirmation_per_task: dict[str, list[float]] = field(default_factory=dict)
    """Fresh rewards of a kept candidate, run after the verdict (all or a stratified share of
    the train tasks): its honest score."""
    confirmation_estimate: tuple[float, float] | None = None
    """The kept candidate's suite score estimated from the confirmation sample, with its weight."""


def merge(*parts: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """Rewards per task, concatenated over the parts."""
    merged: dict[str, list[float]] = {}
    for part in parts:
        for task, rewards in part.items():
            merged.setdefault(task, []).extend(rewards)
    return merged


def count_trials(per_task: Mapping[str, Sequence[float]]) -> int:
    """Number of rewards in a per-task mapping."""
    return sum(len(r) for r in per_task.values())


def honest_score(record: IncumbentRecord) -> float:
    """The incumbent's score for the ledger: the weighted mean of its unbiased estimates."""
    total = sum(w for _, w in record.score_estimates)
    if total <= 0:
        return suite_score(record.per_task)
    return sum(v * w for v, w in record.score_estimates) / total


def next_incumbent(previous: IncumbentRecord, decision: Decision) -> IncumbentRecord:
    """The incumbent's record after a decision: the kept candidate's, or the old one grown.

    A kept candidate's selection data never enter its score, only its confirmation
    sample does. Without one (the naive rule, or `confirm_repeats=0`) the selection
    data are all there is, and the score carries the winner's curse.
    """
    if decision.verdict == "keep":
        per_task = merge(decision.candidate_per_task)
        confirmation = decision.confirmation_per_task
        if decision.confirmation_estimate is not None:
            return IncumbentRecord(per_task, (decision.confirmation_estimate,))
        if confirmation:
            return IncumbentRecord(per_task, ((suite_score(confirmation), float(count_trials(confirmation))),))
        return IncumbentRecord(per_task)
    estimates = previous.score_estimates or (
        (suite_score(previous.per_task), float(count_trials(previous.per_task))),
    )
    if decision.incumbent_estimate is not None:
        estimates = (*estimates, decision.incumbent_estimate)
    return IncumbentRecord(merge(previous.per_task, decision.incumbent_per_task), estimates)

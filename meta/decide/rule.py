"""The keep rule: staged, paired, sequential evaluation of one candidate edit.

Every comparison that can keep a candidate is paired: the candidate and the
incumbent run the same tasks in the same batch, and the test is on the mean over
tasks of the per-task delta (the suite score's change), by a within-task
permutation test. The stages:

1. spot: the targeted tasks (extra repeats) plus a small sample of the others,
   stratified by the incumbent's record (always passed / never passed / mixed);
2. widening: more of the suite in stratified steps;
3. full: every remaining train task once per arm, and the first keep look;
4. sequential: rounds of repeats where they shrink the variance most (tasks
   whose arms disagree, or known coin flips), a keep look after each, up to a cap.

Between stages, futility looks discard a candidate going nowhere. They use a
sharper screening statistic (the candidate against the incumbent's fresh AND
past rewards, targeted tasks weighted up) which is not drift-proof, so it only
ever discards. Keep looks share alpha by a group-sequential boundary computed
from the looks' actual information (`meta.decide.stats.sequential_levels`).

The ledger's score is never a measurement that selected the incumbent: a kept
candidate is re-run after the verdict (the confirmation sample, held out of every
later decision), and each later decision adds an unbiased stratified estimate
from its spot sample. See `meta.decide.records.next_incumbent`.

The naive rule (one full-suite run, keep if the mean beats the recorded score)
is here for comparison only. bench/decision_quality.py measures both.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from meta.decide.config import DecideConfig
from meta.decide.records import (
    Decision,
    IncumbentRecord,
    Measure,
    TrialRequest,
    honest_score,
    next_incumbent,
)
from meta.decide.staged import Evidence, run_staged
from meta.decide.stats import suite_score

__all__ = [
    "DecideConfig",
    "Decision",
    "IncumbentRecord",
    "Measure",
    "TrialRequest",
    "evaluate_candidate",
    "honest_score",
    "next_incumbent",
]


async def evaluate_candidate(
    measure: Measure,
    train_tasks: list[str],
    incumbent: IncumbentRecord,
    config: DecideConfig,
    *,
    targeted: Sequence[str] = (),
    candidate_simpler: bool = False,
    rng: random.Random,
) -> Decision:
    """Decide whether a candidate edit replaces the incumbent.

    Args:
        measure: runs a batch of trial requests, returns rewards per (arm, task).
        train_tasks: the train suite.
        incumbent: what is known about the incumbent so far.
        config: the rule and its parameters.
        targeted: tasks the edit was written for; always in the spot stage
            (train tasks only; others are ignored).
        candidate_simpler: the candidate is simpler, so being no worse than
            `config.simpler_margin` is enough to keep it.
        rng: randomness for the spot sample and the permutation test.

    Returns:
        The decision; its `reported_score` is what the ledger should show for the
        incumbent after it, and `next_incumbent(incumbent, decision)` the new record.
    """
    tasks = list(dict.fromkeys(train_tasks))
    if not tasks:
        raise ValueError("evaluate_candidate needs at least one train task")
    if config.rule == "naive":
        return await _naive(Evidence(measure), tasks, incumbent, candidate_simpler)
    in_suite = set(tasks)
    targets = [t for t in dict.fromkeys(targeted) if t in in_suite]
    return await run_staged(Evidence(measure), tasks, targets, incumbent, config, candidate_simpler, rng)


async def _naive(evidence: Evidence, tasks: list[str], incumbent: IncumbentRecord, simpler: bool) -> Decision:
    """One full-suite run of the candidate; keep if its mean beats the recorded score."""
    await evidence.batch([(t, 1) for t in tasks], step="full", arms=("candidate",))
    recorded = honest_score(incumbent)
    score = suite_score(evidence.candidate)
    delta = score - recorded
    keep = bool(evidence.candidate) and (delta > 0 or (simpler and delta >= 0))
    reason = (
        f"naive: candidate {score:.3f} {'beats' if keep else 'does not beat'} the recorded "
        f"{recorded:.3f} over {len(evidence.candidate)} tasks, {evidence.trials} trials"
    )
    return Decision(
        verdict="keep" if keep else "discard", reason=reason, stage_reached="full",
        delta=delta, delta_se=0.0, bound=None, statistic="naive", trials_used=evidence.trials,
        candidate_per_task=evidence.candidate, incumbent_per_task={}, candidate_score=score,
        reported_score=score if keep else recorded,
    )

"""The confirmation of a kept candidate: fresh trials that selected nothing, for the ledger.

The trials that made a candidate win are biased up (the winner's curse), so the
ledger's score comes from a fresh stratified sample of the train tasks run after
the verdict. With `confirm_baseline`, the climb's baseline runs the same tasks in
the same batch, so the ledger can also show the change against the baseline,
paired: drift or a batch effect moves both arms alike and cannot bias it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from meta.decide.change import PairedChange, stratified_change
from meta.decide.config import DecideConfig
from meta.decide.evidence import Evidence
from meta.decide.records import Arm, count_trials
from meta.decide.sampling import stratified_estimate, stratified_sample, stratify


@dataclass(frozen=True)
class Confirmation:
    estimate: tuple[float, float] | None
    """The kept candidate's suite score and its weight (trials); None if a stratum went unmeasured."""
    baseline_change: PairedChange | None
    """The kept candidate minus the baseline on the same sample, same batch; None without it."""


def confirm_size(n_tasks: int, config: DecideConfig) -> int:
    """How many train tasks the confirmation runs: a share of the suite, at least a floor."""
    if config.confirm_repeats <= 0 or config.confirm_fraction <= 0:
        return 0
    wanted = max(config.confirm_min_tasks, math.ceil(config.confirm_fraction * n_tasks))
    return min(n_tasks, max(1, wanted))


async def confirm(evidence: Evidence, tasks: list[str], config: DecideConfig, rng: random.Random) -> Confirmation:
    """Run the confirmation batch of a kept candidate (and the baseline beside it)."""
    n = confirm_size(len(tasks), config)
    if n == 0:
        return Confirmation(None, None)
    strata = stratify(tasks, evidence.candidate)
    sample = stratified_sample(tasks, evidence.candidate, n, rng, {})
    arms: tuple[Arm, ...] = ("candidate", "baseline") if config.confirm_baseline else ("candidate",)
    await evidence.batch([(t, config.confirm_repeats) for t in sample], step="confirm", arms=arms, confirm=True)
    value = stratified_estimate(evidence.confirmation, [], strata, sample)
    estimate = None if value is None else (value, float(count_trials(evidence.confirmation)))
    change = None
    if config.confirm_baseline:
        change = stratified_change(evidence.confirmation, evidence.baseline, strata)
    return Confirmation(estimate, change)

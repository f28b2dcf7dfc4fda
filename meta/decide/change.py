"""The final confirmation's own test: how much the final agent changed the suite score, paired.

The baseline and the final agent run the same tasks in the same batches, with
fresh trials that selected nothing, so the mean over tasks of the per-task delta
is an unbiased estimate of the change in suite score, and drift or a batch effect
shared by both arms cannot bias it. The interval uses each task's own spread
(unpooled, as the arms may differ); the p-value is the within-task permutation
test of 'no change anywhere', two-sided: a climb can end worse than it started.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from collections.abc import Mapping, Sequence

from meta.decide.stats import PerTask, normal_p_value, normal_quantile, paired_deltas, permutation_p_value, task_mean


@dataclass(frozen=True)
class PairedChange:
    """The change in suite score from baseline to final, with its test."""

    tasks: int
    """Tasks with rewards in both arms (the others are left out of every figure)."""
    change: float
    """Mean over those tasks of final mean - baseline mean."""
    se: float
    """Standard error of `change` from each task's own spread in each arm."""
    low: float
    high: float
    """The two-sided interval at `level` (normal)."""
    level: float
    p_value: float
    """Two-sided permutation p of 'the final agent changed nothing' (1.0 with no pairs)."""

    def rounded(self) -> dict[str, float | int]:
        """The fields for the ledger's events and the final table, rounded to 4 places."""
        return {"tasks": self.tasks, "change": round(self.change, 4), "se": round(self.se, 4),
                "low": round(self.low, 4), "high": round(self.high, 4), "level": self.level,
                "p_value": round(self.p_value, 4)}


def _spread(rewards: list[float]) -> float | None:
    if len(rewards) < 2:
        return None
    centre = task_mean(rewards)
    return sum((x - centre) ** 2 for x in rewards) / (len(rewards) - 1)


def _within(final: PerTask, baseline: PerTask, task: str, fallback: float) -> float:
    """Variance of one task's delta from its trials: s_f^2/n_f + s_b^2/n_b."""
    total = 0.0
    for rewards in (list(final[task]), list(baseline[task])):
        spread = _spread(rewards)
        total += (fallback if spread is None else spread) / len(rewards)
    return total


def _fallback(final: PerTask, baseline: PerTask, tasks: Sequence[str]) -> float:
    spreads = [s for t in tasks for s in (_spread(list(final[t])), _spread(list(baseline[t]))) if s is not None]
    return sum(spreads) / len(spreads) if spreads else 0.25


def paired_se(final: PerTask, baseline: PerTask) -> float:
    """sqrt(sum over paired tasks of s_f^2/n_f + s_b^2/n_b) / tasks.

    A task arm with a single reward takes the mean spread of the arms that have two
    or more, so one trial per task still gives an (approximate) interval.
    """
    deltas = paired_deltas(final, baseline)
    fallback = _fallback(final, baseline, list(deltas))
    total = sum(_within(final, baseline, t, fallback) for t in deltas)
    return math.sqrt(total) / len(deltas) if deltas else 0.0


def paired_change(final: PerTask, baseline: PerTask, rng: random.Random, *, level: float = 0.95,
                  n_permutations: int = 2000) -> PairedChange:
    """The paired change from baseline to final with its interval and two-sided p-value.

    Args:
        final: the final agent's fresh rewards by task.
        baseline: the baseline's rewards by task, from the same batches.
        rng: randomness of the permutation test.
        level: coverage of the interval.
        n_permutations: Monte Carlo draws of the permutation test.
    """
    deltas = paired_deltas(final, baseline)
    if not deltas:
        return PairedChange(0, 0.0, 0.0, 0.0, 0.0, level, 1.0)
    change = sum(deltas.values()) / len(deltas)
    se = paired_se(final, baseline)
    half = normal_quantile((1 - level) / 2) * se
    up = permutation_p_value(final, baseline, rng, n_permutations)
    down = permutation_p_value(baseline, final, rng, n_permutations)
    return PairedChange(len(deltas), change, se, change - half, change + half, level, min(1.0, 2 * min(up, down)))


def stratified_change(final: PerTask, baseline: PerTask, population: Mapping[str, Sequence[str]], *,
                      level: float = 0.95) -> PairedChange | None:
    """The paired change over a suite from a stratified sample of its tasks.

    Each stratum of `population` weighs its share of the suite and is represented by
    the mean delta of its sampled tasks (those with rewards in both arms). The
    variance is the two-stage one: between tasks, scaled by the share of the stratum
    left unsampled, plus each sampled task's own trial noise. The p-value is the
    normal one (the permutation test does not know the weights).

    Returns:
        None if a non-empty stratum has no paired task.
    """
    deltas = paired_deltas(final, baseline)
    size = sum(len(members) for members in population.values())
    if not deltas or not size:
        return None
    fallback = _fallback(final, baseline, list(deltas))
    change = variance = 0.0
    for members in population.values():
        if not members:
            continue
        seen = [t for t in members if t in deltas]
        if not seen:
            return None
        weight, n = len(members) / size, len(seen)
        values = [deltas[t] for t in seen]
        mean = sum(values) / n
        between = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
        within = sum(_within(final, baseline, t, fallback) for t in seen) / n
        share = n / len(members)
        change += weight * mean
        variance += weight**2 * ((1 - share) * max(between, within) + share * within) / n
    se = math.sqrt(variance)
    half = normal_quantile((1 - level) / 2) * se
    z = change / se if se > 0 else 0.0
    p = min(1.0, 2 * normal_p_value(abs(z))) if se > 0 else (1.0 if change == 0 else 0.0)
    return PairedChange(len(deltas), change, se, change - half, change + half, level, p)

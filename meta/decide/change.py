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

from meta.decide.stats import PerTask, normal_quantile, paired_deltas, permutation_p_value, task_mean


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


def _spread(rewards: list[float]) -> float | None:
    if len(rewards) < 2:
        return None
    centre = task_mean(rewards)
    return sum((x - centre) ** 2 for x in rewards) / (len(rewards) - 1)


def paired_se(final: PerTask, baseline: PerTask) -> float:
    """sqrt(sum over paired tasks of s_f^2/n_f + s_b^2/n_b) / tasks.

    A task arm with a single reward takes the mean spread of the arms that have two
    or more, so one trial per task still gives an (approximate) interval.
    """
    deltas = paired_deltas(final, baseline)
    spreads = [s for t in deltas for s in (_spread(list(final[t])), _spread(list(baseline[t]))) if s is not None]
    fallback = sum(spreads) / len(spreads) if spreads else 0.25
    total = 0.0
    for t in deltas:
        for rewards in (list(final[t]), list(baseline[t])):
            spread = _spread(rewards)
            total += (fallback if spread is None else spread) / len(rewards)
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

"""Pure statistics behind the keep rule: paired per-task deltas and their tests.

The estimand everywhere is the suite score, the mean over tasks of a task's mean
reward, so every task weighs the same however many trials it got. A candidate and
the incumbent are compared task by task on trials run in the same batch; the
null hypothesis is that on every task the two arms' rewards are exchangeable (the
edit changed nothing). Under it, the within-task permutation distribution of a
task's delta has mean 0 and a variance computed exactly from the pooled rewards,
which is what the z statistic uses: a task whose trials all agree adds nothing,
a task with a single lucky pass adds a large variance, so a few rare events
cannot fake a significant result the way a plug-in binomial variance would.
Because the arms are balanced within a task, the same variance is also close to
the unpooled one, so the test stays honest when an edit helps some tasks and hurts
others (the weak null, mean delta <= 0).
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

PerTask = Mapping[str, Sequence[float]]

_NORMAL = NormalDist()


def task_mean(rewards: Sequence[float]) -> float:
    """Mean reward of one task's trials (0.0 when there are none)."""
    return sum(rewards) / len(rewards) if rewards else 0.0


def suite_score(per_task: PerTask) -> float:
    """Mean over tasks of each task's mean reward; tasks without trials are skipped."""
    means = [task_mean(r) for r in per_task.values() if r]
    return sum(means) / len(means) if means else 0.0


def paired_deltas(candidate: PerTask, incumbent: PerTask, shift: float = 0.0) -> dict[str, float]:
    """Per-task delta (candidate mean + shift - incumbent mean) on tasks both arms ran."""
    return {
        task: task_mean(candidate[task]) + shift - task_mean(incumbent[task])
        for task in sorted(candidate)
        if candidate[task] and incumbent.get(task)
    }


def permutation_variance(candidate: Sequence[float], incumbent: Sequence[float]) -> float:
    """Exact variance of one task's delta when arm labels are permuted among its trials.

    It is S^2 * (1/n_c + 1/n_i), with S^2 the pooled sample variance (n - 1 divisor).

    Args:
        candidate: the candidate's rewards on the task.
        incumbent: the incumbent's rewards on the task.
    """
    pooled = [*candidate, *incumbent]
    if not candidate or not incumbent or len(pooled) < 2:
        return 0.0
    centre = sum(pooled) / len(pooled)
    s2 = sum((x - centre) ** 2 for x in pooled) / (len(pooled) - 1)
    return s2 * (1 / len(candidate) + 1 / len(incumbent))


@dataclass(frozen=True)
class PairedStats:
    """The paired comparison of two arms over the tasks both ran."""

    tasks: int
    """Tasks with at least one reward in each arm."""
    delta: float
    """Mean over those tasks of candidate mean - incumbent mean (without any shift)."""
    se: float
    """Standard error of `delta` under the permutation null."""
    z: float
    """(delta + shift) / se; +-inf when se is 0 and the shifted delta is not 0."""


def paired_stats(candidate: PerTask, incumbent: PerTask, shift: float = 0.0) -> PairedStats:
    """Mean paired delta, its permutation standard error and z.

    Args:
        candidate: rewards per task of the candidate.
        incumbent: rewards per task of the incumbent, from the same batches.
        shift: added to the candidate's rewards first; a positive shift `m` turns
            the test into a non-inferiority test of delta > -m.
    """
    deltas = paired_deltas(candidate, incumbent)
    k = len(deltas)
    if k == 0:
        return PairedStats(tasks=0, delta=0.0, se=0.0, z=0.0)
    delta = sum(deltas.values()) / k
    variance = sum(permutation_variance(candidate[t], incumbent[t]) for t in deltas) / k**2
    se = math.sqrt(variance)
    shifted = delta + shift
    if se > 0:
        z = shifted / se
    else:
        z = math.copysign(math.inf, shifted) if abs(shifted) > 1e-12 else 0.0
    return PairedStats(tasks=k, delta=delta, se=se, z=z)


def normal_p_value(z: float) -> float:
    """One-sided upper-tail p-value of a standard normal z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def normal_quantile(p: float) -> float:
    """The z with upper-tail probability p."""
    return _NORMAL.inv_cdf(1 - p)


def lower_bound(delta: float, se: float, alpha: float) -> float:
    """One-sided (1 - alpha) normal lower confidence bound of delta."""
    return delta - normal_quantile(alpha) * se


def _upper(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2))


def _density(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _grid(low: float, high: float, n: int) -> tuple[list[float], list[float]]:
    """Points and trapezoid weights on [low, high]."""
    step = (high - low) / (n - 1)
    points = [low + i * step for i in range(n)]
    weights = [step] * n
    weights[0] = weights[-1] = step / 2
    return points, weights


def sequential_levels(infos: Sequence[float], spend: Sequence[float], max_corr: float = 0.95) -> list[float]:
    """Nominal one-sided levels of successive looks at accumulating data.

    Look k's boundary c_k is set so that the chance under the null of first
    crossing at look k is exactly spend[k], given the looks' correlations
    sqrt(I_j / I_k) (the canonical joint distribution of z statistics computed on
    accumulating data; I is information, 1 / se^2). It is the recursive numerical
    integration of Armitage, McPherson and Rowe. With equal spending the levels are
    alpha/K at the first look and grow after it, so the family of looks stays at
    sum(spend) while each later look is less strict than Bonferroni.

    Args:
        infos: information at each look so far (it should not decrease).
        spend: alpha to spend at each look (at least as many as `infos`).
        max_corr: correlations are capped here; a lower correlation is
            conservative, and it keeps the integration grid adequate.

    Returns:
        The nominal level (upper-tail p) of each look.
    """
    levels: list[float] = []
    points: list[float] = []
    weights: list[float] = []
    dens: list[float] = []
    for k, info in enumerate(infos):
        if k == 0:
            c = normal_quantile(spend[0])
        else:
            r = min(max_corr, math.sqrt(max(infos[k - 1], 1e-300) / max(info, 1e-300)))
            sd = math.sqrt(1 - r * r)

            def crossing(c: float) -> float:  # called in this iteration only: its values are current
                return sum(w * f * _upper((c - r * z) / sd) for z, w, f in zip(points, weights, dens))  # noqa: B023

            low, high = -6.0, 8.0
            for _ in range(40):
                mid = (low + high) / 2
                low, high = (mid, high) if crossing(mid) > spend[k] else (low, mid)
            c = high
        levels.append(_upper(c))
        if k + 1 == len(infos):
            break
        # The sub-density of z_k on the region that has not crossed yet.
        step = (sd if k else 1.0) / 4
        new_points, new_weights = _grid(-6.0, c, max(60, math.ceil((c + 6) / step)))
        if k == 0:
            new_dens = [_density(z) for z in new_points]
        else:
            new_dens = [
                sum(w * f * _density((x - r * z) / sd) for z, w, f in zip(points, weights, dens)) / sd
                for x in new_points
            ]
        points, weights, dens = new_points, new_weights, new_dens
    return levels


def _task_sampler(candidate: Sequence[float], incumbent: Sequence[float],
                  shift: float) -> Callable[[random.Random], float] | None:
    """A function drawing one permuted delta for a task, or None if it is constant."""
    shifted = [x + shift for x in candidate]
    pooled = shifted + list(incumbent)
    n_c, n_i = len(shifted), len(incumbent)
    total = sum(pooled)
    if max(pooled) - min(pooled) < 1e-12:
        return None
    if all(x in (0.0, 1.0) for x in pooled):
        # Binary rewards: the candidate's pass count is hypergeometric; draw it by inverse CDF.
        passes, n = round(total), len(pooled)
        low, high = max(0, n_c - (n - passes)), min(n_c, passes)
        ks = list(range(low, high + 1))
        weights = [math.comb(passes, k) * math.comb(n - passes, n_c - k) for k in ks]
        norm = sum(weights)
        cdf, acc = [], 0
        for w in weights:
            acc += w
            cdf.append(acc / norm)
        values = [k / n_c - (passes - k) / n_i for k in ks]

        def draw_binary(rng: random.Random) -> float:
            return values[min(bisect.bisect_left(cdf, rng.random()), len(values) - 1)]

        return draw_binary

    def draw_general(rng: random.Random) -> float:
        picked = sum(rng.sample(pooled, n_c))
        return picked / n_c - (total - picked) / n_i

    return draw_general


def permutation_p_value(
    candidate: PerTask,
    incumbent: PerTask,
    rng: random.Random,
    n_permutations: int = 2000,
    shift: float = 0.0,
) -> float:
    """Monte Carlo one-sided p-value of the mean paired delta, permuting arms within tasks.

    Exact in the sense of a permutation test (no normal approximation), so it is
    the judge of record for small suites and rare events; (1 + hits) / (1 + draws).

    Args:
        candidate: rewards per task of the candidate.
        incumbent: rewards per task of the incumbent, from the same batches.
        rng: source of randomness (the caller's, for reproducibility).
        n_permutations: Monte Carlo draws.
        shift: added to the candidate's rewards first (non-inferiority margin).
    """
    deltas = paired_deltas(candidate, incumbent, shift)
    if not deltas:
        return 1.0
    observed = sum(deltas.values())
    constant = 0.0
    samplers = []
    for task, delta in deltas.items():
        sampler = _task_sampler(candidate[task], incumbent[task], shift)
        if sampler is None:
            constant += delta
        else:
            samplers.append(sampler)
    hits = 0
    tolerance = 1e-9 * max(1, len(deltas))
    for _ in range(n_permutations):
        if constant + sum(draw(rng) for draw in samplers) >= observed - tolerance:
            hits += 1
    return (1 + hits) / (1 + n_permutations)


def screening_z(
    candidate: PerTask,
    incumbent: PerTask,
    history: PerTask,
    weights: Mapping[str, float] | None = None,
    shift: float = 0.0,
) -> float:
    """A z for futility looks: candidate vs all the incumbent's evidence, weighted by task.

    It compares the candidate's fresh rewards with the incumbent's fresh rewards
    pooled with its history, so the incumbent's side is nearly noise-free. That
    is not drift-proof, which is why it only ever discards: a drifted history can
    make a good candidate look futile (lost power), never make a bad one look good.
    Variances are binomial bounds from a smoothed pooled rate.

    Args:
        candidate: the candidate's fresh rewards by task.
        incumbent: the incumbent's fresh rewards by task (same batches).
        history: the incumbent's earlier rewards by task.
        weights: per-task weight (default 1), e.g. more for the targeted tasks.
        shift: added to the candidate's mean (non-inferiority margin).
    """
    numerator = variance = 0.0
    for task, rewards in candidate.items():
        reference = [*incumbent.get(task, ()), *history.get(task, ())]
        if not rewards or not reference:
            continue
        w = 1.0 if weights is None else weights.get(task, 1.0)
        rate = (sum(rewards) + sum(reference) + 0.5) / (len(rewards) + len(reference) + 1)
        numerator += w * (task_mean(rewards) + shift - task_mean(reference))
        variance += w * w * rate * (1 - rate) * (1 / len(rewards) + 1 / len(reference))
    if variance <= 0:
        return 0.0
    return numerator / math.sqrt(variance)

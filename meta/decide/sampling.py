"""Which tasks to run: the stratified spot sample and the sequential repeats."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

from meta.decide.stats import PerTask, task_mean

STRATA = ("pass", "fail", "mixed")


def stratum(rewards: Sequence[float]) -> str:
    """'pass' if every reward so far was 1, 'fail' if every one was 0, else 'mixed'.

    A task never measured counts as 'mixed': nothing says it is settled.
    """
    if not rewards:
        return "mixed"
    rate = task_mean(rewards)
    if rate >= 1 - 1e-9:
        return "pass"
    if rate <= 1e-9:
        return "fail"
    return "mixed"


def stratify(tasks: Sequence[str], history: PerTask) -> dict[str, list[str]]:
    """Tasks grouped by the incumbent's success so far, in the given order."""
    groups: dict[str, list[str]] = {name: [] for name in STRATA}
    for task in tasks:
        groups[stratum(history.get(task, ()))].append(task)
    return groups


def allocate(sizes: Mapping[str, int], weights: Mapping[str, float], n: int) -> dict[str, int]:
    """Split n draws over strata in proportion to size * weight (largest remainder).

    Every non-empty stratum gets at least one draw when n allows, and no stratum
    gets more draws than it has tasks.
    """
    live = [s for s in sizes if sizes[s] > 0]
    n = min(n, sum(sizes[s] for s in live))
    counts = {s: 0 for s in sizes}
    if n <= 0 or not live:
        return counts
    if n >= len(live):
        for s in live:
            counts[s] = 1
    while sum(counts.values()) < n:
        room = [s for s in live if counts[s] < sizes[s]]
        mass = {s: sizes[s] * weights.get(s, 1.0) for s in room}
        total_mass = sum(mass.values()) or 1.0
        left = n - sum(counts.values())
        # Give the next draw to the stratum furthest below its share.
        target = {s: (sum(counts[r] for r in room) + left) * mass[s] / total_mass for s in room}
        best = max(room, key=lambda s: (target[s] - counts[s], s))
        counts[best] += 1
    return counts


def stratified_sample(
    tasks: Sequence[str],
    history: PerTask,
    n: int,
    rng: random.Random,
    weights: Mapping[str, float],
) -> list[str]:
    """Draw n tasks, stratified by the incumbent's per-task success so far.

    Args:
        tasks: the tasks to draw from.
        history: the incumbent's rewards by task.
        n: how many to draw (fewer if there are fewer tasks).
        rng: source of randomness.
        weights: over-sampling factor per stratum ('pass', 'fail', 'mixed').
    """
    groups = stratify(tasks, history)
    counts = allocate({s: len(g) for s, g in groups.items()}, weights, n)
    picked: list[str] = []
    for name in STRATA:
        picked.extend(rng.sample(groups[name], counts[name]))
    return picked


def repeat_priority(
    candidate: Sequence[float],
    incumbent: Sequence[float],
    history: Sequence[float],
    repeats: int,
) -> float:
    """Expected drop in one task's delta variance from `repeats` more trials per arm.

    The reward variance is the larger of what this comparison saw and what the
    incumbent's history (smoothed) suggests, so a task whose two trials agreed by
    luck still gets repeats if it is known to be a coin flip.
    """
    pooled = [*candidate, *incumbent]
    seen = 0.0
    if len(pooled) >= 2:
        centre = sum(pooled) / len(pooled)
        seen = sum((x - centre) ** 2 for x in pooled) / (len(pooled) - 1)
    everything = [*pooled, *history]
    rate = (sum(everything) + 0.5) / (len(everything) + 1)
    variance = max(seen, rate * (1 - rate))
    n_c, n_i = max(1, len(candidate)), max(1, len(incumbent))
    now = 1 / n_c + 1 / n_i
    after = 1 / (n_c + repeats) + 1 / (n_i + repeats)
    return variance * (now - after)


def pick_repeats(
    candidate: PerTask,
    incumbent: PerTask,
    history: PerTask,
    tasks: Sequence[str],
    repeats: int,
    max_trials: int,
) -> list[str]:
    """The tasks to repeat next: highest variance reduction first, within max_trials.

    Each chosen task costs 2 * repeats trials (both arms). Tasks whose trials can
    no longer vary (priority 0) are never chosen.
    """
    scored = sorted(
        (
            (repeat_priority(candidate.get(t, ()), incumbent.get(t, ()), history.get(t, ()), repeats), t)
            for t in tasks
        ),
        key=lambda pair: (-pair[0], pair[1]),
    )
    room = max_trials // (2 * repeats) if repeats > 0 else 0
    return [t for priority, t in scored[: max(0, room)] if priority > 1e-12]


def spot_size(n_tasks: int, fraction: float, minimum: int) -> int:
    """How many non-targeted tasks the spot stage samples."""
    return min(n_tasks, max(minimum, math.ceil(fraction * n_tasks)))


def stratified_estimate(
    rewards: PerTask,
    certain: Sequence[str],
    population: Mapping[str, Sequence[str]],
    sampled: Sequence[str],
) -> float | None:
    """Unbiased estimate of the suite score from a stratified sample of fresh rewards.

    The tasks in `certain` were measured for sure (each stands for itself); each
    stratum of `population` is represented by the mean of its tasks in `sampled`,
    drawn uniformly within the stratum. Which stratum a task fell in may depend on
    its past, but its fresh rewards do not, so the estimate is unbiased.

    Returns:
        The estimate, or None if a certain task or a non-empty stratum has no rewards.
    """
    total, count = 0.0, 0
    for task in certain:
        if not rewards.get(task):
            return None
        total += task_mean(rewards[task])
        count += 1
    chosen = set(sampled)
    for members in population.values():
        if not members:
            continue
        seen = [task_mean(rewards[t]) for t in members if t in chosen and rewards.get(t)]
        if not seen:
            return None
        total += len(members) * sum(seen) / len(seen)
        count += len(members)
    return total / count if count else None

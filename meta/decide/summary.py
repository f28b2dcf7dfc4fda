"""What a decision says in numbers, for the ledger and the dashboard: task means, per-task
deltas, the measurement noise of a suite score, tasks passed."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from meta.decide.records import Decision

PerTask = Mapping[str, Sequence[float]]


def task_means(per_task: PerTask) -> dict[str, float]:
    """Each task's mean reward, rounded for the ledger."""
    return {task: round(sum(v) / len(v), 4) for task, v in per_task.items() if v}


def per_task_delta(decision: Decision) -> dict[str, float]:
    """Candidate minus incumbent mean, on the tasks both arms ran."""
    return {task: round(sum(c) / len(c) - sum(decision.incumbent_per_task[task]) /
                        len(decision.incumbent_per_task[task]), 4)
            for task, c in decision.candidate_per_task.items()
            if c and decision.incumbent_per_task.get(task)}


def suite_se(per_task: PerTask, more: PerTask | None = None) -> float | None:
    """Measurement noise of a mean of task means: sqrt(sum s_t^2 / n_t) / T.

    s_t^2 is a task's sample variance (n - 1 divisor: the plug-in m(1-m) reads a single
    trial, or a few that agree by luck, as noise-free), estimated from its rewards plus
    ``more`` rewards of the same version (e.g. the selection data of a kept candidate whose
    score comes from its confirmation trials). A task with one reward in all takes the pooled
    variance of the others; when no task has two, the noise is unknown (None).
    """
    rewards = {task: v for task, v in per_task.items() if v}
    spreads: dict[str, float | None] = {}
    for task in rewards:
        pool = [*rewards[task], *(more or {}).get(task, ())]
        spreads[task] = statistics.variance(pool) if len(pool) > 1 else None
    known = [v for v in spreads.values() if v is not None]
    if not known:
        return None
    pooled = sum(known) / len(known)
    variance = sum((pooled if (s := spreads[t]) is None else s) / len(v) for t, v in rewards.items())
    return round(math.sqrt(variance) / len(rewards), 6)


def passed(per_task: PerTask) -> str:
    """'solved/total', a task counting as solved when its mean reward is at least 0.5."""
    solved = sum(1 for v in per_task.values() if v and sum(v) / len(v) >= 0.5)
    return f"{solved}/{len(per_task)}"

"""The simulated worlds of the decision-quality bench (defined in bench/decision_quality.py's docstring).

A world says how hard the suite's tasks are, how candidate edits act on them,
how noisy a trial is beyond its coin flip (batch effects, infra losses, drift),
and how an edit changes the size of agent.py (for the climb's 'simpler' rule).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def logit(p: float) -> float:
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class Effects:
    """How candidate edits act: each is a shift of the log-odds of some tasks of the incumbent."""

    kind_weights: tuple[float, float, float, float] = (0.60, 0.25, 0.15, 0.0)
    """Shares of null, harmful, helpful and mixed-sign edits."""
    harmful_share: tuple[float, float] = (0.05, 0.30)
    harmful_shift: tuple[float, float] = (1.0, 3.0)
    helpful_share: tuple[float, float] = (0.05, 0.20)
    helpful_shift: tuple[float, float] = (1.5, 4.0)
    target_hit: float = 0.5
    """Chance that each targeted task of a helpful (or mixed) edit is one it really improves."""


@dataclass(frozen=True)
class Noise:
    """What a trial's outcome depends on besides the agent's true success probability."""

    batch_sd: float = 0.0
    """Log-odds shift shared by every trial of a batch (both arms), drawn per batch."""
    task_batch_sd: float = 0.0
    """Log-odds shift shared by the trials of one task in one batch (both arms)."""
    loss: float = 0.0
    """Chance that a trial is lost to infrastructure (no reward; it still costs its slot)."""
    flaky_share: float = 0.0
    """Share of tasks whose infrastructure is flaky ..."""
    flaky_loss: float = 0.0
    """... and lose this share of their trials instead of `loss`."""
    drift: float = 0.0
    """Log-odds added to every trial, growing linearly to this by the end of the budget."""


@dataclass(frozen=True)
class Sizes:
    """How an edit changes the number of tokens of agent.py."""

    start_tokens: int = 2000
    substantive_cut: float = 0.0
    """Share of edits that remove 5-20% of the tokens (a real simplification)."""
    small_cut: float = 0.0
    """Share of edits that remove 1-30 tokens in passing (rewording, a renamed variable)."""


@dataclass(frozen=True)
class World:
    """One simulated world."""

    strata: tuple[tuple[float, float, float], ...] = ((0.3, 0.92, 0.995), (0.3, 0.005, 0.08), (0.4, 0.15, 0.85))
    """(share of tasks, lowest, highest baseline success probability), drawn uniformly."""
    effects: Effects = field(default_factory=Effects)
    noise: Noise = field(default_factory=Noise)
    sizes: Sizes = field(default_factory=Sizes)


DEFAULT = World()
WORLDS: dict[str, World] = {
    "default": DEFAULT,
    # Half the tasks are never solved, a third always, few are coin flips (Terminal-Bench-like).
    "agent": replace(DEFAULT, strata=((0.5, 0.001, 0.02), (0.35, 0.9, 0.995), (0.15, 0.2, 0.8))),
    # Edits help some tasks and hurt others; the net is about 0 or slightly positive.
    "mixed": replace(DEFAULT, effects=Effects(kind_weights=(0.6, 0.0, 0.0, 0.4))),
    "batch": replace(DEFAULT, noise=Noise(batch_sd=0.3, task_batch_sd=0.5)),
    "lossy": replace(DEFAULT, noise=Noise(loss=0.05, flaky_share=0.1, flaky_loss=0.5)),
    "drift": replace(DEFAULT, noise=Noise(drift=0.5)),
    # A sixth of the edits really simplify, a third shave a few tokens by the way.
    "simpler": replace(DEFAULT, sizes=Sizes(substantive_cut=0.15, small_cut=0.35)),
    # Small shifts spread thinly: about +2.6 / -3.5 points per edit, little is detectable.
    "diffuse": replace(DEFAULT, effects=Effects(harmful_share=(0.05, 0.40), harmful_shift=(0.5, 2.5),
                                                helpful_share=(0.05, 0.25), helpful_shift=(0.5, 2.0))),
    "null": replace(DEFAULT, effects=Effects(kind_weights=(1.0, 0.0, 0.0, 0.0))),
}


def make_suite(world: World, n_tasks: int, rng: random.Random) -> list[float]:
    """Baseline log-odds per task, drawn from the world's strata."""
    logits = []
    for _ in range(n_tasks):
        u, acc = rng.random(), 0.0
        bounds = world.strata[-1][1:]
        for share, low, high in world.strata:
            acc += share
            if u < acc:
                bounds = (low, high)
                break
        logits.append(logit(rng.uniform(*bounds)))
    return logits


@dataclass(frozen=True)
class Edit:
    """One candidate: log-odds shifts by task index, the tasks it names, its size change."""

    shifts: dict[int, float]
    targeted: list[int]
    token_change: int


def _shifts(current: list[float], effects: Effects, kind: str, rng: random.Random) -> dict[int, float]:
    n = len(current)
    shifts: dict[int, float] = {}
    if kind in ("harmful", "mixed"):
        k = max(1, round(rng.uniform(*effects.harmful_share) * n))
        for i in rng.sample(range(n), k):
            shifts[i] = -rng.uniform(*effects.harmful_shift)
    if kind in ("helpful", "mixed"):
        eligible = [i for i in range(n) if sigmoid(current[i]) < 0.9 and i not in shifts] or list(range(n))
        k = min(len(eligible), max(1, round(rng.uniform(*effects.helpful_share) * n)))
        for i in rng.sample(eligible, k):
            shifts[i] = rng.uniform(*effects.helpful_shift)
    return shifts


def _token_change(sizes: Sizes, tokens: int, rng: random.Random) -> int:
    u = rng.random()
    if u < sizes.substantive_cut:
        return -max(1, round(rng.uniform(0.05, 0.20) * tokens))
    if u < sizes.substantive_cut + sizes.small_cut:
        return -rng.randint(1, 30)
    return rng.randint(1, max(2, tokens // 10))


def draw_edit(world: World, current: list[float], failed: set[int], tokens: int, rng: random.Random) -> Edit:
    """One candidate edit acting on the current incumbent's log-odds.

    Args:
        world: the world.
        current: the incumbent's true log-odds per task.
        failed: tasks the incumbent has failed at least once so far (what a proposer targets).
        tokens: the incumbent's size.
        rng: the world's randomness (shared by both rules).
    """
    n = len(current)
    kind = rng.choices(("null", "harmful", "helpful", "mixed"), world.effects.kind_weights)[0]
    shifts = _shifts(current, world.effects, kind, rng)
    pool = sorted(failed) or list(range(n))
    helped = [i for i, s in shifts.items() if s > 0]
    targeted: list[int] = []
    for _ in range(min(n, max(2, n // 20))):
        fresh = [i for i in helped if i not in targeted]
        if fresh and rng.random() < world.effects.target_hit:
            targeted.append(rng.choice(fresh))
        else:
            left = [i for i in pool if i not in targeted] or [i for i in range(n) if i not in targeted]
            targeted.append(rng.choice(left))
    return Edit(shifts, targeted, _token_change(world.sizes, tokens, rng))


def apply_edit(current: list[float], edit: Edit) -> list[float]:
    """The candidate's log-odds (clipped to [-6, 6])."""
    candidate = list(current)
    for i, s in edit.shifts.items():
        candidate[i] = max(-6.0, min(6.0, candidate[i] + s))
    return candidate


def true_score(logits: list[float]) -> float:
    """The suite score without noise: mean over tasks of the success probability."""
    return sum(sigmoid(x) for x in logits) / len(logits)

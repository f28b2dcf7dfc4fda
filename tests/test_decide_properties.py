"""Properties the keep rule promises, each on a case built to break it: the screens that can
only refuse a keep, the simpler path's bar, the boundary's level, and claims that drift
cannot bias. Pure and fast (deterministic fake trials, no Docker)."""

from __future__ import annotations

import math
import random

import pytest

from meta.decide.boundary import sequential_levels
from meta.decide.config import DecideConfig
from meta.decide.records import IncumbentRecord, TrialRequest, honest_score, next_incumbent
from meta.decide.rule import evaluate_candidate
from meta.decide.stats import normal_quantile
from tests.test_decide import TASKS, FakeMeasure, _patterns, _record

NO_FUTILITY = {"spot_futility_z": -9.0, "widen_futility_z": -9.0, "full_futility_z": -9.0, "seq_futility_z": -9.0,
               "harm_futility_z": 99.0}
"""Futility looks (and harm screens) that never discard, so a test reaches the keep looks."""


async def _decide(candidate, incumbent, config, record=None, **kwargs):
    measure = FakeMeasure(_patterns(candidate, incumbent))
    decision = await evaluate_candidate(measure, TASKS, record or _record(incumbent), config,
                                        rng=random.Random(7), **kwargs)
    return decision, measure


async def test_the_keep_screen_refuses_a_win_over_an_unlucky_rerun_of_the_incumbent():
    # The incumbent passed every task four times before; this time its re-run fails them all.
    record = IncumbentRecord({t: [1.0] * 4 for t in TASKS})
    incumbent = {t: [0.0] for t in TASKS}
    # The candidate passes half the time: worse than the record, far better than the re-run.
    candidate = {t: [1.0, 0.0] if i % 2 else [0.0, 1.0] for i, t in enumerate(TASKS)}
    screened, _ = await _decide(candidate, incumbent, DecideConfig(**NO_FUTILITY), record)
    assert screened.verdict == "discard" and screened.delta >= 0.4 and "not credible" in screened.reason
    unscreened, _ = await _decide(candidate, incumbent, DecideConfig(**NO_FUTILITY, keep_screen_z=None), record)
    assert unscreened.verdict == "keep"  # the paired test alone would have kept it


async def test_the_harm_screen_refuses_a_keep_paid_for_by_untargeted_tasks():
    # Ten never-passed tasks are the targets and now pass; four untargeted always-passed tasks break.
    incumbent = {t: [0.0] if 5 <= i < 15 else [1.0] for i, t in enumerate(TASKS)}
    targets = TASKS[5:15]
    candidate = incumbent | {t: [1.0] for t in targets} | {t: [0.0] for t in TASKS[:4]}
    # No spot sample and no widening: the first untargeted outcomes arrive with the first keep look.
    direct = {"spot_fraction": 0.0, "spot_min_tasks": 0, "widen_steps": 0}
    off = DecideConfig(**direct, harm_futility_z=99.0, harm_keep_z=99.0)
    blind, _ = await _decide(candidate, incumbent, off, targeted=targets)
    assert (blind.verdict, blind.stage_reached) == ("keep", "full")  # the paired test passes at the full look
    guarded, _ = await _decide(candidate, incumbent, DecideConfig(**direct), targeted=targets)
    assert (guarded.verdict, guarded.stage_reached) == ("discard", "full")
    assert "hurts untargeted tasks" in guarded.reason


async def test_a_simpler_candidate_must_be_no_worse_than_the_margin_not_merely_simpler():
    incumbent = {t: [1.0] if i % 2 else [0.0] for i, t in enumerate(TASKS)}
    worse = incumbent | {t: [0.0] for t in ("t01", "t03")}  # 2 of 20 tasks break: 10 points worse
    config = DecideConfig()
    assert config.simpler_margin < 0.1
    decision, _ = await _decide(worse, incumbent, config, candidate_simpler=True)
    assert decision.verdict == "discard"
    same, _ = await _decide(dict(incumbent), incumbent, config, candidate_simpler=True)
    assert same.verdict == "keep" and "non-inferior" in same.reason
    assert config.alpha_spending(simpler=True) == pytest.approx(
        [config.simpler_alpha * s / config.alpha for s in config.alpha_spending()])


def test_the_group_sequential_boundary_spends_exactly_its_alpha_by_monte_carlo():
    # z statistics on accumulating data: a random walk observed at information 1, 2, 4, 5, 6.
    infos = [1.0, 2.0, 4.0, 5.0, 6.0]
    spend = DecideConfig().alpha_spending()
    levels = sequential_levels(infos, spend)
    bars = [normal_quantile(level) for level in levels]
    rng, draws = random.Random(11), 40000
    first = [0] * len(infos)
    for _ in range(draws):
        total, seen = 0.0, 0.0
        for k, info in enumerate(infos):
            total += rng.gauss(0.0, math.sqrt(info - seen))
            seen = info
            if total / math.sqrt(info) >= bars[k]:
                first[k] += 1
                break
    assert sum(first) / draws == pytest.approx(sum(spend), abs=0.006)  # the family's level is alpha
    for k, share in enumerate(spend):
        assert first[k] / draws == pytest.approx(share, abs=0.005)  # each look spends its own part
    assert levels[0] == pytest.approx(spend[0]) and all(b > a for a, b in zip(spend[1:], levels[1:]))


class DriftingMeasure(FakeMeasure):
    """FakeMeasure whose every reward rises by `step` per batch, in every arm alike (drift)."""

    def __init__(self, patterns, step: float):
        super().__init__(patterns)
        self.step = step

    async def __call__(self, requests: list[TrialRequest]) -> dict[tuple[str, str], list[float]]:
        shift = self.step * len(self.calls)
        out = await super().__call__(requests)
        return {key: [r + shift for r in rewards] for key, rewards in out.items()}


async def test_drift_moves_the_absolute_score_but_not_the_paired_change_against_the_baseline():
    incumbent = {t: [0.2] if i < 10 else [0.4] for i, t in enumerate(TASKS)}  # also the baseline
    candidate = {t: [r + 0.3 for r in rewards] for t, rewards in incumbent.items()}
    measure = DriftingMeasure(_patterns(candidate, incumbent), step=0.05)
    decision = await evaluate_candidate(measure, TASKS, _record(incumbent), DecideConfig(), rng=random.Random(7))
    assert decision.verdict == "keep" and decision.baseline_change is not None
    drift = 0.05 * (len(measure.calls) - 1)  # the confirmation ran in the last batch
    assert drift > 0
    assert decision.baseline_change.change == pytest.approx(0.3)  # exactly the edit's effect
    assert honest_score(next_incumbent(_record(incumbent), decision)) == pytest.approx(0.6 + drift)
    assert next_incumbent(_record(incumbent), decision).baseline_change == pytest.approx(
        (0.3, decision.baseline_change.se))

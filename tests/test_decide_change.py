"""The keep rule's newer statistics: the paired change and its tests, grouped permutation draws,
non-adaptive repeats, the confirmation's size, the 'simpler' flag; pure and fast."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from meta.decide.config import DecideConfig
from meta.decide.change import paired_change, paired_se, stratified_change
from meta.decide.confirm import confirm_size
from meta.decide.sampling import pick_repeats
from meta.decide.stats import normal_quantile, permutation_p_value
from meta.workspace.scope import Complexity, is_simpler


def _exact_p(candidate: dict[str, list[float]], incumbent: dict[str, list[float]]) -> float:
    """P(sum of per-task deltas >= observed) over every relabelling within each task, enumerated."""
    def deltas(task: str) -> list[float]:
        pooled, n_c = candidate[task] + incumbent[task], len(candidate[task])
        out = []
        for pick in itertools.combinations(range(len(pooled)), n_c):
            c = sum(pooled[i] for i in pick)
            out.append(c / n_c - (sum(pooled) - c) / (len(pooled) - n_c))
        return out

    tasks = sorted(candidate)
    observed = sum(sum(candidate[t]) / len(candidate[t]) - sum(incumbent[t]) / len(incumbent[t]) for t in tasks)
    hits = total = 0
    for combo in itertools.product(*(deltas(t) for t in tasks)):
        total += 1
        hits += sum(combo) >= observed - 1e-9
    return hits / total


def test_grouped_permutation_draws_match_exact_enumeration():
    # Five tasks share one signature (grouped into one draw), two others differ.
    candidate = {**{f"s{i}": [1.0, 1.0] for i in range(5)}, "x": [1.0], "y": [0.0, 1.0, 1.0]}
    incumbent = {**{f"s{i}": [0.0, 1.0] for i in range(5)}, "x": [0.0], "y": [0.0, 0.0, 1.0]}
    exact = _exact_p(candidate, incumbent)
    p = permutation_p_value(candidate, incumbent, random.Random(3), 40000)
    assert 0.005 < exact < 0.2
    assert p == pytest.approx(exact, abs=0.006)


def test_paired_change_interval_and_two_sided_p():
    final = {"a": [1.0, 1.0], "b": [0.0, 1.0]}
    baseline = {"a": [0.0, 0.0], "b": [0.0, 1.0]}
    test = paired_change(final, baseline, random.Random(0), n_permutations=20000)
    assert test.tasks == 2 and test.change == pytest.approx(0.5)
    # Task a: both arms constant (no spread); task b: 0.5/2 per arm.
    assert test.se == pytest.approx(math.sqrt(0.5) / 2)
    half = normal_quantile(0.025) * test.se
    assert (test.low, test.high) == pytest.approx((0.5 - half, 0.5 + half))
    # Exact: P(delta >= 0.5) = 1/6 * 4/6 + ... enumerated; two-sided doubles the smaller tail.
    up = _exact_p(final, baseline)
    assert test.p_value == pytest.approx(min(1.0, 2 * up), abs=0.02)
    worse = paired_change(baseline, final, random.Random(0), n_permutations=20000)
    assert worse.change == pytest.approx(-0.5) and worse.p_value == pytest.approx(test.p_value, abs=0.02)
    none = paired_change({"a": [1.0]}, {"b": [1.0]}, random.Random(0))
    assert (none.tasks, none.p_value) == (0, 1.0)


def test_paired_se_gives_single_trials_the_mean_spread_of_the_others():
    # a: spreads 0.5 (final) and 0 (baseline) over 2 trials; b: one trial each takes the mean spread 0.25.
    se = paired_se({"a": [1.0, 0.0], "b": [1.0]}, {"a": [1.0, 1.0], "b": [0.0]})
    assert se == pytest.approx(math.sqrt(0.5 / 2 + 0 + 0.25 + 0.25) / 2)


def test_stratified_change_weighs_strata_and_counts_the_unsampled_share():
    population = {"pass": ["p1", "p2", "p3", "p4"], "fail": ["f1", "f2"], "mixed": []}
    final = {"p1": [1.0, 1.0], "p2": [0.0, 0.0], "f1": [1.0, 1.0]}
    baseline = {"p1": [1.0, 1.0], "p2": [1.0, 1.0], "f1": [0.0, 0.0]}
    test = stratified_change(final, baseline, population)
    assert test is not None
    # pass: mean delta (0 - 1) / 2 = -0.5 over 4/6 of the suite; fail: +1 over 2/6.
    assert test.change == pytest.approx(4 / 6 * -0.5 + 2 / 6 * 1.0)
    # Half the pass stratum unsampled: its between-task spread (0.5) counts for that half; the
    # fail stratum has one sampled task of two, no spread of its own: its within (0) stands in.
    assert test.se == pytest.approx(math.sqrt((4 / 6) ** 2 * (0.5 * 0.5 + 0.5 * 0.0) / 2))
    assert 0 < test.p_value <= 1
    everything = stratified_change({"a": [1.0, 0.0], "b": [1.0, 1.0]}, {"a": [0.0, 0.0], "b": [1.0, 0.0]},
                                   {"mixed": ["a", "b"]})
    assert everything is not None
    assert everything.change == pytest.approx(0.5)
    assert everything.se == pytest.approx(paired_se({"a": [1.0, 0.0], "b": [1.0, 1.0]},
                                                    {"a": [0.0, 0.0], "b": [1.0, 0.0]}))
    assert stratified_change({"p1": [1.0]}, {"p1": [1.0]}, population) is None  # fail stratum unseen


def test_non_adaptive_repeats_ignore_this_decisions_outcomes():
    history = {"coin": [1.0, 0.0, 1.0, 0.0], "sure": [1.0, 1.0, 1.0, 1.0], "aimed": [0.0, 0.0, 0.0, 0.0]}
    tasks = ["coin", "sure", "aimed"]
    agree = ({t: [1.0] for t in tasks}, {t: [1.0] for t in tasks})
    split = ({"coin": [1.0], "sure": [0.0], "aimed": [1.0]}, {"coin": [0.0], "sure": [1.0], "aimed": [0.0]})
    picks = {outcome: pick_repeats(*arms, history, tasks, 1, 4, adaptive=False, targeted=["aimed"])
             for outcome, arms in (("agree", agree), ("split", split))}
    assert picks["agree"] == picks["split"] == ["aimed", "coin"]  # a target counts as a coin flip
    # Adaptive, the settled task whose arms split this time is repeated too.
    assert "sure" in pick_repeats(*split, history, tasks, 1, 6) and "sure" not in picks["split"]


def test_confirmation_size_is_a_share_with_a_floor():
    config = DecideConfig()
    assert confirm_size(10, config) == 10
    assert confirm_size(89, config) == max(config.confirm_min_tasks, math.ceil(89 * config.confirm_fraction))
    assert confirm_size(200, config.model_copy(update={"confirm_fraction": 0.25})) == 50
    assert confirm_size(200, config.model_copy(update={"confirm_repeats": 0})) == 0


def test_futility_thresholds_grow_with_the_suite():
    config = DecideConfig(futility_growth=0.2)
    assert config.futility_threshold(0.8, 24) == 0.8
    assert config.futility_threshold(0.8, 10) == 0.8
    assert config.futility_threshold(0.8, 96) == pytest.approx(1.2)


def test_simpler_means_a_real_cut_not_a_rewording():
    old = Complexity(lines=100, tokens=1000)
    assert not is_simpler(old, Complexity(lines=99, tokens=990))
    assert is_simpler(old, Complexity(lines=95, tokens=950))
    assert not is_simpler(old, Complexity(lines=120, tokens=1200))

"""The keep rule: its statistics on known inputs, and evaluate_candidate on a deterministic fake."""

from __future__ import annotations

import itertools
import math
import random

import pydantic
import pytest

from meta.decide.rule import (
    DecideConfig,
    Decision,
    IncumbentRecord,
    TrialRequest,
    evaluate_candidate,
    honest_score,
    next_incumbent,
)
from meta.decide.sampling import (
    allocate,
    pick_repeats,
    spot_size,
    stratified_estimate,
    stratified_sample,
    stratify,
)
from meta.decide.stats import (
    lower_bound,
    normal_p_value,
    normal_quantile,
    paired_deltas,
    paired_stats,
    permutation_p_value,
    permutation_variance,
    screening_z,
    sequential_levels,
    suite_score,
    task_mean,
)

# ---------------------------------------------------------------- statistics


def test_means_and_suite_score_weigh_tasks_equally():
    assert task_mean([1, 0, 1, 1]) == 0.75
    assert task_mean([]) == 0.0
    assert suite_score({"a": [1, 1, 1, 1], "b": [0], "empty": []}) == 0.5


def test_paired_deltas_only_on_tasks_both_arms_ran():
    candidate = {"a": [1, 1], "b": [0, 1], "c": [1]}
    incumbent = {"a": [0, 1], "b": [1, 1], "d": [1]}
    assert paired_deltas(candidate, incumbent) == {"a": 0.5, "b": -0.5}
    assert paired_deltas(candidate, incumbent, shift=0.1) == pytest.approx({"a": 0.6, "b": -0.4})


def test_permutation_variance_matches_enumeration():
    # [1, 1] vs [0, 0]: of the 6 relabellings, d = +1 once, -1 once, 0 four times.
    assert permutation_variance([1, 1], [0, 0]) == pytest.approx(1 / 3)
    assert permutation_variance([1], [0]) == pytest.approx(1.0)
    assert permutation_variance([1, 1, 1], [1, 1]) == 0.0
    assert permutation_variance([], [1, 0]) == 0.0


def test_paired_stats_known_values():
    s = paired_stats({"a": [1], "b": [1], "c": [0]}, {"a": [0], "b": [1], "c": [0]})
    assert s.tasks == 3
    assert s.delta == pytest.approx(1 / 3)
    assert s.se == pytest.approx(1 / 3)  # only task a varies: variance 1, over 3^2
    assert s.z == pytest.approx(1.0)
    flat = paired_stats({"a": [1]}, {"a": [1]})
    assert (flat.delta, flat.se, flat.z) == (0.0, 0.0, 0.0)
    assert paired_stats({"a": [1]}, {"a": [1]}, shift=0.02).z == math.inf
    assert paired_stats({}, {"a": [1]}).tasks == 0


def test_normal_helpers():
    assert normal_p_value(0.0) == pytest.approx(0.5)
    assert normal_p_value(1.6448536) == pytest.approx(0.05, abs=1e-6)
    assert normal_quantile(0.025) == pytest.approx(1.959964, abs=1e-5)
    assert lower_bound(0.1, 0.05, 0.05) == pytest.approx(0.1 - 1.6448536 * 0.05, abs=1e-6)


def test_permutation_p_value_binary_matches_exact():
    rng = random.Random(0)
    # One task, [1, 1] vs [0, 0]: P(d >= 1) = 1/6.
    assert permutation_p_value({"a": [1, 1]}, {"a": [0, 0]}, rng, 20000) == pytest.approx(1 / 6, abs=0.01)
    # Two tasks each [1] vs [0]: P(both +1) = 1/4.
    two = permutation_p_value({"a": [1], "b": [1]}, {"a": [0], "b": [0]}, rng, 20000)
    assert two == pytest.approx(0.25, abs=0.01)
    # Identical constant arms: every relabelling ties, p = 1.
    assert permutation_p_value({"a": [1]}, {"a": [1]}, rng, 200) == 1.0
    assert permutation_p_value({}, {}, rng, 200) == 1.0


def test_permutation_p_value_general_rewards_matches_enumeration():
    candidate, incumbent = [0.5, 1.0], [0.0, 0.25]
    pooled = candidate + incumbent
    observed = sum(candidate) / 2 - sum(incumbent) / 2
    splits = list(itertools.combinations(range(4), 2))
    exact = sum(
        1 for pick in splits
        if sum(pooled[i] for i in pick) / 2 - sum(pooled[i] for i in range(4) if i not in pick) / 2
        >= observed - 1e-12
    ) / len(splits)
    p = permutation_p_value({"a": candidate}, {"a": incumbent}, random.Random(1), 20000)
    assert p == pytest.approx(exact, abs=0.01)


def test_sequential_levels_first_look_is_its_share_and_later_looks_use_correlation():
    levels = sequential_levels([1, 2, 3, 4], [0.025] * 4)
    z = [normal_quantile(level) for level in levels]
    assert z == pytest.approx([1.960, 1.807, 1.671, 1.551], abs=0.01)  # checked by Monte Carlo
    # Nearly independent looks: the second look's level is 0.025 / (1 - 0.025).
    assert sequential_levels([1, 1e6], [0.025, 0.025])[1] == pytest.approx(0.025 / 0.975, rel=0.02)


def test_screening_z_pools_history_and_weights_tasks():
    candidate, incumbent = {"a": [1, 1], "b": [0]}, {"a": [0], "b": [0]}
    history = {"a": [0, 0, 0], "b": [0, 0, 0]}
    plain = screening_z(candidate, incumbent, history)
    assert plain > 0
    heavier_a = screening_z(candidate, incumbent, history, {"a": 3.0})
    assert heavier_a > plain
    assert screening_z({"a": [1]}, {"a": [1]}, {"a": [1, 1]}) == 0.0
    assert screening_z({"a": [0]}, {}, {"a": [1, 1, 1, 1]}) < -1


# ---------------------------------------------------------------- sampling


def test_stratify_and_allocate():
    history = {"p": [1, 1], "f": [0], "m": [1, 0]}
    assert stratify(["p", "f", "m", "new"], history) == {"pass": ["p"], "fail": ["f"], "mixed": ["m", "new"]}
    assert allocate({"pass": 10, "fail": 0, "mixed": 10}, {}, 4) == {"pass": 2, "fail": 0, "mixed": 2}
    assert allocate({"pass": 10, "fail": 10, "mixed": 10}, {"mixed": 4.0}, 6) == {"pass": 1, "fail": 1, "mixed": 4}
    assert allocate({"pass": 1, "fail": 0, "mixed": 1}, {}, 5) == {"pass": 1, "fail": 0, "mixed": 1}
    assert spot_size(89, 0.1, 4) == 9
    assert spot_size(20, 0.05, 4) == 4
    assert spot_size(3, 0.5, 4) == 3


def test_stratified_sample_draws_from_each_stratum():
    history = {f"p{i}": [1] for i in range(5)} | {f"f{i}": [0] for i in range(5)}
    tasks = sorted(history) + [f"m{i}" for i in range(5)]
    picked = stratified_sample(tasks, history, 3, random.Random(0), {})
    assert sorted(t[0] for t in picked) == ["f", "m", "p"]


def test_stratified_estimate_weights_strata_by_size():
    rewards = {"t": [1, 1], "p1": [1], "m1": [0], "m2": [1]}
    population = {"pass": ["p1", "p2", "p3"], "fail": [], "mixed": ["m1", "m2", "m3", "m4"]}
    value = stratified_estimate(rewards, ["t"], population, ["p1", "m1", "m2"])
    assert value == pytest.approx((1 + 3 * 1.0 + 4 * 0.5) / 8)
    assert stratified_estimate(rewards, ["missing"], population, ["p1", "m1"]) is None
    assert stratified_estimate({"p1": [1]}, [], population, ["p1"]) is None  # mixed left uncovered


def test_pick_repeats_prefers_disagreement_and_respects_the_budget():
    candidate = {"agree": [1], "split": [1], "coin": [0]}
    incumbent = {"agree": [1], "split": [0], "coin": [0]}
    history = {"agree": [1, 1, 1, 1], "coin": [1, 0, 1, 0]}
    chosen = pick_repeats(candidate, incumbent, history, ["agree", "split", "coin"], repeats=2, max_trials=8)
    assert chosen == ["split", "coin"]
    assert pick_repeats(candidate, incumbent, history, ["split"], repeats=2, max_trials=3) == []


# ---------------------------------------------------------------- records


def _decision(verdict: str, **extra) -> Decision:
    fields = dict(
        verdict=verdict, reason="", stage_reached="full", delta=0.0, delta_se=0.0, bound=None,
        statistic="perm_p", trials_used=0, candidate_per_task={"a": [1.0]}, incumbent_per_task={"a": [0.0]},
        candidate_score=1.0, reported_score=0.0,
    )
    fields.update(extra)
    return Decision(**fields)


def test_next_incumbent_scores_a_keep_from_its_confirmation_only():
    baseline = IncumbentRecord({"a": [0.0, 1.0], "b": [1.0, 1.0]})
    assert honest_score(baseline) == 0.75
    kept = next_incumbent(baseline, _decision("keep", confirmation_per_task={"a": [0.0], "b": [1.0]}))
    assert kept.per_task == {"a": [1.0]}  # selection data steer sampling, never the score
    assert honest_score(kept) == 0.5
    grown = next_incumbent(kept, _decision("discard", incumbent_estimate=(1.0, 2.0)))
    assert grown.per_task == {"a": [1.0, 0.0]}
    assert honest_score(grown) == pytest.approx((0.5 * 2 + 1.0 * 2) / 4)
    naive_keep = next_incumbent(baseline, _decision("keep"))
    assert honest_score(naive_keep) == 1.0  # no confirmation: the winning measurement


# ---------------------------------------------------------------- evaluate_candidate


class FakeMeasure:
    """Deterministic trials: each (arm, task) replays its reward pattern cyclically."""

    def __init__(self, patterns: dict[tuple[str, str], list[float]], lost: set[tuple[str, str]] = frozenset()):
        self.cursors = {key: itertools.cycle(p) for key, p in patterns.items()}
        self.lost = lost
        self.calls: list[list[TrialRequest]] = []

    async def __call__(self, requests: list[TrialRequest]) -> dict[tuple[str, str], list[float]]:
        self.calls.append(list(requests))
        out: dict[tuple[str, str], list[float]] = {}
        for r in requests:
            key = (r.arm, r.task_id)
            if key in self.lost:
                out[key] = []  # every trial of this pair failed on infra
                continue
            out.setdefault(key, []).extend(next(self.cursors[key]) for _ in range(r.repeats))
        return out

    @property
    def trials(self) -> int:
        return sum(r.repeats for call in self.calls for r in call)


TASKS = [f"t{i:02d}" for i in range(20)]


def _patterns(candidate: dict[str, list[float]], incumbent: dict[str, list[float]]):
    return {**{("candidate", t): p for t, p in candidate.items()},
            **{("incumbent", t): p for t, p in incumbent.items()}}


def _mixed_incumbent() -> dict[str, list[float]]:
    """Five tasks always pass, five never do, ten alternate pass/fail."""
    return {t: [1.0] if i < 5 else [0.0] if i < 10 else [1.0, 0.0] for i, t in enumerate(TASKS)}


def _record(incumbent: dict[str, list[float]]) -> IncumbentRecord:
    return IncumbentRecord({t: [p[0], p[1 % len(p)]] for t, p in incumbent.items()})


async def _evaluate(candidate, incumbent, config=None, lost=frozenset(), **kwargs):
    measure = FakeMeasure(_patterns(candidate, incumbent), lost)
    decision = await evaluate_candidate(measure, TASKS, _record(incumbent), config or DecideConfig(),
                                        rng=random.Random(7), **kwargs)
    return decision, measure


async def test_clearly_better_candidate_is_kept_with_an_honest_score():
    incumbent = _mixed_incumbent()
    candidate = {t: [1.0] for t in TASKS}
    decision, measure = await _evaluate(candidate, incumbent, targeted=["t05", "t06"])
    assert decision.verdict == "keep"
    assert decision.statistic == "perm_p" and decision.bound is not None and decision.bound < 0.05
    assert decision.delta > 0.2 and "paired delta" in decision.reason
    assert decision.candidate_score == 1.0
    assert set(decision.confirmation_per_task) == set(TASKS)
    assert decision.reported_score == 1.0  # from the confirmation sample
    assert decision.trials_used == measure.trials
    for call in measure.calls[:-1]:  # every decision batch runs both arms on the same tasks
        by_arm = {arm: {(r.task_id, r.repeats) for r in call if r.arm == arm} for arm in ("candidate", "incumbent")}
        assert by_arm["candidate"] == by_arm["incumbent"]
    assert {r.arm for r in measure.calls[-1]} == {"candidate"}  # the confirmation
    first = {r.task_id: r.repeats for r in measure.calls[0]}
    assert first["t05"] == first["t06"] == DecideConfig().spot_target_repeats
    # Each batch says which look asked for it, so the ledger can tell spot from full.
    steps = [{r.step for r in call} for call in measure.calls]
    assert steps[0] == {"spot"} and steps[-1] == {"confirm"} and {"full"} in steps


async def test_identical_candidate_is_discarded():
    incumbent = _mixed_incumbent()
    decision, _ = await _evaluate(dict(incumbent), incumbent)
    assert decision.verdict == "discard"
    assert decision.delta == 0.0
    assert decision.confirmation_per_task == {}
    assert decision.reported_score == pytest.approx(honest_score(next_incumbent(_record(incumbent), decision)))


async def test_worse_candidate_is_discarded_at_spot_cheaply():
    incumbent = _mixed_incumbent()
    candidate = {t: [0.0] for t in TASKS}
    decision, measure = await _evaluate(candidate, incumbent)
    assert (decision.verdict, decision.stage_reached) == ("discard", "spot")
    assert "futile at spot" in decision.reason
    assert decision.statistic == "screen_p" and decision.bound is not None and decision.bound > 0.5
    assert decision.trials_used < len(TASKS)  # less than one arm of one full pass
    assert len(measure.calls) == 1
    assert decision.incumbent_estimate is not None


async def test_equal_but_simpler_candidate_is_kept_as_non_inferior():
    incumbent = {t: [1.0] if i % 2 else [0.0] for i, t in enumerate(TASKS)}  # every task settled
    decision, _ = await _evaluate(dict(incumbent), incumbent, candidate_simpler=True)
    assert decision.verdict == "keep"
    assert "non-inferior" in decision.reason
    plain, _ = await _evaluate(dict(incumbent), incumbent)
    assert plain.verdict == "discard"


async def test_infra_losses_are_tolerated_up_to_the_coverage_floor():
    incumbent = _mixed_incumbent()
    candidate = {t: [1.0] for t in TASKS}
    few = {("candidate", "t10"), ("incumbent", "t11")}
    decision, measure = await _evaluate(candidate, incumbent, lost=few)
    assert decision.verdict == "keep"
    assert "t10" not in decision.candidate_per_task and "t11" not in decision.incumbent_per_task
    assert decision.trials_used < measure.trials  # lost trials are not counted
    many = {("candidate", t) for t in TASKS[10:]}
    decision, _ = await _evaluate(candidate, incumbent, lost=many)
    assert decision.verdict == "discard"


async def test_everything_lost_is_a_discard_not_a_crash():
    incumbent = _mixed_incumbent()
    lost = {(arm, t) for t in TASKS for arm in ("candidate", "incumbent")}
    decision, _ = await _evaluate({t: [1.0] for t in TASKS}, incumbent, lost=lost)
    assert decision.verdict == "discard"
    assert decision.trials_used == 0
    assert decision.incumbent_estimate is None
    assert decision.reported_score == pytest.approx(honest_score(_record(incumbent)))


async def test_inconclusive_after_full_adds_paired_repeats_where_arms_disagree():
    incumbent = _mixed_incumbent()  # t10..t19 alternate pass/fail
    candidate = {t: [1.0] if t >= "t10" else incumbent[t] for t in TASKS}
    config = DecideConfig(spot_futility_z=-9, widen_futility_z=-9, full_futility_z=-9, seq_futility_z=-9)
    decision, measure = await _evaluate(candidate, incumbent, config)
    assert (decision.verdict, decision.stage_reached) == ("keep", "sequential")
    sequential = measure.calls[-2]  # after the full stage's batch, before the confirmation
    tasks = {r.task_id for r in sequential}
    assert 0 < len(tasks) < len(TASKS) and tasks <= {t for t in TASKS if t >= "t10"}  # only the coin flips
    assert {(r.task_id, r.repeats) for r in sequential if r.arm == "candidate"} == \
        {(r.task_id, r.repeats) for r in sequential if r.arm == "incumbent"}  # paired, same batch
    assert "look 2 of" in decision.reason


async def test_cap_without_a_verdict_can_be_inconclusive():
    incumbent = _mixed_incumbent()
    config = DecideConfig(spot_futility_z=-9, widen_futility_z=-9, full_futility_z=-9, alpha=1e-6,
                          max_trials_factor=0.1, inconclusive_when_capped=True)
    decision, _ = await _evaluate(dict(incumbent), incumbent, config)
    assert decision.verdict == "inconclusive"
    assert "not credible" in decision.reason
    config = config.model_copy(update={"inconclusive_when_capped": False})
    decision, _ = await _evaluate(dict(incumbent), incumbent, config)
    assert decision.verdict == "discard"


async def test_targeted_tasks_outside_the_train_suite_are_ignored():
    incumbent = _mixed_incumbent()
    decision, measure = await _evaluate({t: [0.0] for t in TASKS}, incumbent, targeted=["held-out-1"])
    assert all(r.task_id in TASKS for call in measure.calls for r in call)
    assert decision.verdict == "discard"


async def test_naive_rule_keeps_whatever_beats_the_recorded_score():
    incumbent = _mixed_incumbent()
    config = DecideConfig(rule="naive")
    better = {t: [1.0] for t in TASKS}
    decision, measure = await _evaluate(better, incumbent, config)
    assert decision.verdict == "keep" and decision.statistic == "naive" and decision.bound is None
    assert decision.trials_used == len(TASKS) and {r.arm for r in measure.calls[0]} == {"candidate"}
    assert decision.incumbent_per_task == {}
    assert decision.reported_score == decision.candidate_score == 1.0  # the winning measurement
    # The same agent, re-run: a lucky first draw on the coin-flip tasks beats the record.
    lucky, _ = await _evaluate(dict(incumbent), incumbent, config)
    assert lucky.verdict == "keep" and lucky.reported_score == 0.75
    settled = {t: [1.0] if i % 2 else [0.0] for i, t in enumerate(TASKS)}
    tie, _ = await _evaluate(dict(settled), settled, config)
    assert tie.verdict == "discard" and tie.reported_score == honest_score(_record(settled)) == 0.5
    tie_simpler, _ = await _evaluate(dict(settled), settled, config, candidate_simpler=True)
    assert tie_simpler.verdict == "keep"


async def test_partial_confirmation_reports_its_stratified_estimate():
    incumbent = _mixed_incumbent()
    config = DecideConfig(confirm_fraction=0.5)
    decision, _ = await _evaluate({t: [1.0] for t in TASKS}, incumbent, config)
    assert decision.verdict == "keep"
    assert len(decision.confirmation_per_task) == 10
    assert decision.confirmation_estimate is not None
    assert decision.reported_score == decision.confirmation_estimate[0] == 1.0
    none, _ = await _evaluate({t: [1.0] for t in TASKS}, incumbent, DecideConfig(confirm_repeats=0))
    assert none.confirmation_per_task == {} and none.reported_score == none.candidate_score


@pytest.mark.parametrize("boundary", ["group_sequential", "bonferroni"])
async def test_both_boundaries_keep_a_clear_winner(boundary):
    config = DecideConfig(boundary=boundary, spend_ratio=0.5)
    decision, _ = await _evaluate({t: [1.0] for t in TASKS}, _mixed_incumbent(), config)
    assert decision.verdict == "keep" and decision.bound <= config.alpha


@pytest.mark.parametrize("size", [1, 3])
async def test_tiny_suites_decide_without_error(size):
    tasks = TASKS[:size]
    incumbent = {t: [0.0] for t in tasks}
    measure = FakeMeasure(_patterns({t: [1.0] for t in tasks}, incumbent))
    decision = await evaluate_candidate(measure, tasks, _record(incumbent), DecideConfig(),
                                        targeted=tasks[:1], rng=random.Random(0))
    assert decision.verdict in ("keep", "discard")
    assert decision.trials_used == measure.trials


async def test_empty_suite_is_an_error():
    with pytest.raises(ValueError):
        await evaluate_candidate(FakeMeasure({}), [], IncumbentRecord({}), DecideConfig(), rng=random.Random(0))


def test_config_rejects_unknown_fields_and_documents_every_field():
    with pytest.raises(pydantic.ValidationError):
        DecideConfig(alpah=0.05)
    with pytest.raises(pydantic.ValidationError):
        DecideConfig(alpha=0.0)
    assert all(field.description for field in DecideConfig.model_fields.values())

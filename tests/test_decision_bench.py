"""The decision-quality bench (bench/decision/): its panel covers the worlds the issue names, a
simulated climb keeps within its budget, and the bounds say what they check. Fast: one tiny climb."""

from __future__ import annotations

import asyncio

import pytest

from bench.decision.panel import BOUND_HARMFUL, BOUND_NULL, PANEL, Cell, bounds, summarize, tabulate
from bench.decision.sim import climb
from bench.decision.worlds import WORLDS


def test_the_panel_spans_suite_sizes_budgets_and_worlds():
    assert {c.n_tasks for c in PANEL} >= {10, 24, 89, 200}
    assert {c.budget for c in PANEL} >= {500, 1000, 3000, 10000}
    assert {c.world for c in PANEL} == {"default", "agent", "mixed", "batch", "lossy", "drift", "simpler"}
    assert all(c.world in WORLDS for c in PANEL) and len({c.name for c in PANEL}) == len(PANEL)
    assert Cell.parse("agent:89:3000") == Cell("agent", 89, 3000)


@pytest.mark.parametrize("rule", ["staged", "naive"])
def test_a_simulated_climb_stays_within_its_budget_and_reports_every_class(rule):
    out = asyncio.run(climb(rule, "default", 10, 500, seed=1))
    assert out["decisions"] > 0 and out["trials_per_decision"] * out["decisions"] <= 500 - 2 * 10
    assert set(out["seen"]) == {"null", "harmful", "helpful"} and sum(out["seen"].values()) == out["decisions"]
    assert all(out["kept"][k] <= out["seen"][k] for k in out["seen"])
    assert -1 <= out["true_lift"] <= 1 and -1 <= out["ledger_bias"] <= 1
    # The final head-to-head runs whenever an edit was kept, a no-op one included, as in the climb.
    assert out["final"]["ran"] == out["kept_any"] == (sum(out["kept"].values()) > 0)


def _result(rule: str, seed: int, lift: float, kept_null: int, kept_harmful: int) -> dict:
    classes = ("null", "harmful", "helpful")
    return {"rule": rule, "world": "default", "T": 10, "B": 500, "seed": seed, "true_lift": lift,
            "ledger_bias": 0.0, "changed": True, "kept_any": True, "change_bias": 0.0, "decisions": 100,
            "seen": dict.fromkeys(classes, 100), "kept": {"null": kept_null, "harmful": kept_harmful, "helpful": 9},
            "spent": dict.fromkeys(classes, 100), "simpler_seen": dict.fromkeys(classes, 0),
            "simpler_kept": dict.fromkeys(classes, 0), "big_harm": (0, 10), "trials_per_decision": 4.0,
            "final": {"ran": False}}


def test_the_bounds_flag_each_miss_by_name():
    cell = Cell("default", 10, 500)
    ours = [_result("staged", s, 0.05 + 0.01 * s, kept_null=4, kept_harmful=1) for s in range(4)]
    naive = [_result("naive", s, 0.05 + 0.01 * s, kept_null=40, kept_harmful=9) for s in range(4)]
    entry = tabulate([cell], ours + naive)[cell.name]
    assert entry["bounds"] == {"lift": True, "null": True, "harmful": True, "bias": True}
    assert summarize(ours)["keep_null"]["rate"] == pytest.approx(0.04) and 0.04 <= BOUND_NULL
    worse = [_result("staged", s, 0.0, kept_null=6, kept_harmful=2) for s in range(4)]
    missed = bounds(cell, summarize(worse), tabulate([cell], worse + naive)[cell.name])
    assert missed == {"lift": False, "null": False, "harmful": False, "bias": True}
    assert BOUND_HARMFUL == 0.01

"""The panel: which (world, suite size, budget) cells run, and their summaries with standard errors."""

from __future__ import annotations

import asyncio
import math
import statistics
from dataclasses import dataclass

from bench.decision.sim import CLASSES, climb

RULES = ("staged", "naive")
BOUND_NULL = 0.05
BOUND_HARMFUL = 0.01
BOUND_BIAS = 0.01


@dataclass(frozen=True)
class Cell:
    world: str
    n_tasks: int
    budget: int

    @property
    def name(self) -> str:
        return f"{self.world}:{self.n_tasks}:{self.budget}"

    @classmethod
    def parse(cls, text: str) -> Cell:
        world, n, budget = text.split(":")
        return cls(world, int(n), int(budget))


PANEL: tuple[Cell, ...] = (
    *(Cell("default", n, b) for n in (10, 24, 89, 200) for b in (500, 1000, 3000, 10000)),
    *(Cell("agent", n, 3000) for n in (24, 89, 200)),
    *(Cell(w, n, 3000) for w in ("mixed", "batch", "lossy", "drift", "simpler") for n in (24, 89)),
)


def run_job(job: tuple[str, Cell, int, dict]) -> dict:
    rule, cell, seed, overrides = job
    return asyncio.run(climb(rule, cell.world, cell.n_tasks, cell.budget, seed, overrides))


def mean_se(xs: list[float]) -> tuple[float, float]:
    if not xs:
        return 0.0, 0.0
    return statistics.fmean(xs), (statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0)


def rate(kept: int, seen: int) -> dict:
    """A keep rate over decisions with its binomial standard error."""
    p = kept / seen if seen else 0.0
    return {"rate": p, "se": math.sqrt(p * (1 - p) / seen) if seen else 0.0, "kept": kept, "seen": seen}


def summarize(results: list[dict]) -> dict:
    """One rule in one cell: lift, keep rates by class, ledger bias, final confirmation, costs."""
    def total(key: str, cls: str) -> int:
        return sum(r[key][cls] for r in results)

    lift, lift_se = mean_se([r["true_lift"] for r in results])
    bias, bias_se = mean_se([r["ledger_bias"] for r in results])
    finals = [r["final"] for r in results if r["final"]["ran"]]
    claims = [r["change_bias"] for r in results if r["change_bias"] is not None]
    change_bias, change_bias_se = mean_se(claims) if claims else (None, None)
    plain_null = total("seen", "null") - total("simpler_seen", "null")
    return {
        "climbs": len(results),
        "true_lift": lift, "true_lift_se": lift_se,
        "keep_null": rate(total("kept", "null") - total("simpler_kept", "null"), plain_null),
        "keep_simpler_null": rate(total("simpler_kept", "null"), total("simpler_seen", "null")),
        "keep_harmful": rate(total("kept", "harmful"), total("seen", "harmful")),
        "keep_helpful": rate(total("kept", "helpful"), total("seen", "helpful")),
        "keep_harmful_1pt": rate(sum(r["big_harm"][0] for r in results), sum(r["big_harm"][1] for r in results)),
        "ledger_bias": bias, "ledger_bias_se": bias_se,
        "change_bias": change_bias, "change_bias_se": change_bias_se,
        "ledger_rmse": math.sqrt(statistics.fmean(r["ledger_bias"] ** 2 for r in results)),
        "changed": statistics.fmean(r["changed"] for r in results),
        "kept_any": statistics.fmean(r["kept_any"] for r in results),
        "decisions": statistics.fmean(r["decisions"] for r in results),
        "trials_per_decision": statistics.fmean(r["trials_per_decision"] for r in results),
        **{f"trials_{c}": total("spent", c) / max(1, total("seen", c)) for c in CLASSES},
        "final_runs": len(finals),
        "final_error": mean_se([f["error"] for f in finals])[0] if finals else 0.0,
        "final_coverage": statistics.fmean(f["covered"] for f in finals) if finals else 1.0,
        "final_no_change_significant": _share([f["significant"] for f in finals if f["no_change"]]),
    }


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def compare(ours: list[dict], naive: list[dict]) -> dict:
    """Ours minus naive in true lift, paired by seed (same suite and first edit)."""
    by_seed = {r["seed"]: r["true_lift"] for r in naive}
    diff, se = mean_se([r["true_lift"] - by_seed[r["seed"]] for r in ours if r["seed"] in by_seed])
    return {"lift_diff": diff, "lift_diff_se": se}


def _within(bias: float, se: float) -> bool:
    """|bias| <= BOUND_BIAS, allowing one standard error of the bench's own noise."""
    return abs(bias) - se <= BOUND_BIAS


def bounds(cell: Cell, ours: dict, versus: dict) -> dict[str, bool]:
    """Which bounds our rule meets in a cell (under drift the bias bound is on the paired change)."""
    return {
        "lift": versus["lift_diff"] >= -versus["lift_diff_se"],
        "null": ours["keep_null"]["rate"] <= BOUND_NULL,
        "harmful": ours["keep_harmful"]["rate"] <= BOUND_HARMFUL,
        "bias": _within(*((ours["change_bias"] or 0.0, ours["change_bias_se"] or 0.0) if cell.world == "drift"
                          else (ours["ledger_bias"], ours["ledger_bias_se"]))),
    }


def tabulate(cells: list[Cell], results: list[dict]) -> dict[str, dict]:
    """Summaries per cell: both rules, their comparison and the bounds."""
    grouped: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        grouped.setdefault((f"{r['world']}:{r['T']}:{r['B']}", r["rule"]), []).append(r)
    table = {}
    for cell in cells:
        ours, naive = grouped.get((cell.name, "staged"), []), grouped.get((cell.name, "naive"), [])
        entry = {"ours": summarize(ours), "naive": summarize(naive), **compare(ours, naive)}
        entry["bounds"] = bounds(cell, entry["ours"], entry)
        table[cell.name] = entry
    return table

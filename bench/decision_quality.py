"""Decision quality of the keep rule: whole simulated climbs, ours vs the naive rule.

Run: `.venv/bin/python bench/decision_quality.py [--json] [--seeds N] [--quick]`
(300 climbs per rule and suite size by default, about 1.5 minutes on 2 cores;
`--quick` runs 40). `--world`, `--drift` and `--set FIELD=VALUE` try other worlds
and other settings of our rule.

The world (every figure depends on it, so it is stated here):

* A suite of T tasks (T = 24 and T = 89). Each task has a true success
  probability for the baseline agent: 30% "easy" tasks, p ~ U(0.92, 0.995);
  30% "hard" tasks, p ~ U(0.005, 0.08); 40% "mixed" tasks, p ~ U(0.15, 0.85).
  A trial is one Bernoulli draw. No infra failures; no drift unless `--drift D`
  (every trial's log-odds shifted by D * trials_so_far / budget, both arms; the
  true scores stay drift-free, so with drift the ledger bias counts it too).
* Candidate edits arrive one after another; each acts on the *current*
  incumbent as a shift of the log-odds of a subset of tasks:
  - 60% null: no effect anywhere;
  - 25% harmful: a random 5-30% of all tasks, each shifted by -U(1, 3)
    (about -3.6 points of suite score on average);
  - 15% helpful: a random 5-20% of the tasks the incumbent does not already
    nearly always pass (p < 0.9), each shifted by +U(1.5, 4): a fix that makes
    the failures it addresses pass most of the time (about +4.8 points on
    average, 10th-90th percentile +2 to +7.5).
  Log-odds are clipped to [-6, 6]. That is `--world concentrated`, the default.
  `--world diffuse` spreads smaller shifts thinner (harmful 5-40% of tasks at
  -U(0.5, 2.5); helpful 5-25% at +U(0.5, 2): about +2.6 points, a hard world
  where little is detectable). `--world null` makes every edit null.
* Each edit names max(2, T // 20) targeted tasks, as a proposer names the
  failures it set out to fix: for a helpful edit each is, with probability 0.5,
  one of the tasks it really improves; otherwise (and for null and harmful
  edits) a task the incumbent has failed at least once so far. Nobody claims
  to be simpler (`candidate_simpler=False`), so every kept null edit is a false keep.
* A climb has a budget of 3,000 trials. The baseline is measured first with 2
  trials per task (counted). Then candidates are evaluated until a batch would
  exceed the budget; that last, unfinished decision is dropped.
* Ours: `meta.decide.rule.evaluate_candidate` with the default `DecideConfig` and a
  simulated `measure`; the ledger score is each decision's `reported_score` and
  the record evolves by `next_incumbent`, as in the climb loop.
  Naive: the same function with `rule="naive"`: one full-suite run per
  candidate, kept if its mean beats the incumbent's recorded score, and the
  recorded score becomes that winning measurement.

Reported per rule and T: true lift (true score of the final incumbent minus the
baseline's), keep rates of null / harmful / helpful edits (over all decisions of
all seeds), ledger bias (the ledger's score of the final incumbent minus its
true score, averaged over seeds; +-1 standard error), and context: the ledger's
RMSE, decisions per climb, trials per decision overall and by kind of edit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meta.decide.rule import (
    DecideConfig,
    IncumbentRecord,
    TrialRequest,
    evaluate_candidate,
    next_incumbent,
)

BUDGET = 3000
BASELINE_REPEATS = 2
SUITE_SIZES = (24, 89)
KINDS = ("null", "harmful", "helpful")


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def make_suite(n_tasks: int, rng: random.Random) -> list[float]:
    """Baseline log-odds per task: easy, hard and mixed tasks."""
    logits = []
    for _ in range(n_tasks):
        u = rng.random()
        if u < 0.3:
            p = rng.uniform(0.92, 0.995)
        elif u < 0.6:
            p = rng.uniform(0.005, 0.08)
        else:
            p = rng.uniform(0.15, 0.85)
        logits.append(logit(p))
    return logits


@dataclass(frozen=True)
class World:
    """How candidate edits act: shares of the affected tasks and log-odds shifts."""

    harmful_share: tuple[float, float]
    harmful_shift: tuple[float, float]
    helpful_share: tuple[float, float]
    helpful_shift: tuple[float, float]
    target_hit: float = 0.5
    kind_weights: tuple[float, float, float] = (0.60, 0.25, 0.15)
    """Shares of null, harmful and helpful edits."""


WORLDS = {
    # A fix makes the failures it addresses pass most of the time: few tasks, big shifts.
    "concentrated": World((0.05, 0.30), (1.0, 3.0), (0.05, 0.20), (1.5, 4.0)),
    # Small shifts spread thinly: edits worth about +2.6 / -3.5 points on average.
    "diffuse": World((0.05, 0.40), (0.5, 2.5), (0.05, 0.25), (0.5, 2.0)),
    # Every edit does nothing: the keep rate is the realized false-keep rate.
    "null": World((0.05, 0.30), (1.0, 3.0), (0.05, 0.20), (1.5, 4.0), kind_weights=(1.0, 0.0, 0.0)),
}


@dataclass
class Edit:
    kind: str
    shifts: dict[int, float]
    targeted: list[int]


def draw_edit(current: list[float], history: dict[str, list[float]], rng: random.Random,
              world: World) -> Edit:
    """One candidate edit acting on the current incumbent's log-odds."""
    n = len(current)
    kind = rng.choices(KINDS, world.kind_weights)[0]
    shifts: dict[int, float] = {}
    if kind == "harmful":
        k = max(1, round(rng.uniform(*world.harmful_share) * n))
        for i in rng.sample(range(n), k):
            shifts[i] = -rng.uniform(*world.harmful_shift)
    elif kind == "helpful":
        eligible = [i for i in range(n) if sigmoid(current[i]) < 0.9] or list(range(n))
        k = min(len(eligible), max(1, round(rng.uniform(*world.helpful_share) * n)))
        for i in rng.sample(eligible, k):
            shifts[i] = rng.uniform(*world.helpful_shift)
    failing = [i for i in range(n) if min(history.get(f"t{i}", [0.0])) < 1.0] or list(range(n))
    targeted: list[int] = []
    for _ in range(max(2, n // 20)):
        affected = [i for i in shifts if i not in targeted]
        if kind == "helpful" and affected and rng.random() < world.target_hit:
            targeted.append(rng.choice(affected))
        else:
            pool = [i for i in failing if i not in targeted] or [i for i in range(n) if i not in targeted]
            targeted.append(rng.choice(pool))
    return Edit(kind, shifts, targeted)


class BudgetExhausted(Exception):
    """The next batch would exceed the climb's trial budget."""


@dataclass
class Sim:
    """Trial outcomes for two arms and the climb's trial counter."""

    rng: random.Random
    budget: int
    used: int = 0
    arms: dict[str, list[float]] = field(default_factory=dict)
    drift: float = 0.0
    """Log-odds added to every trial of a batch, growing linearly to this by the end of the budget."""

    async def measure(self, requests: list[TrialRequest]) -> dict[tuple[str, str], list[float]]:
        cost = sum(r.repeats for r in requests)
        if self.used + cost > self.budget:
            raise BudgetExhausted
        offset = self.drift * self.used / self.budget
        self.used += cost
        out: dict[tuple[str, str], list[float]] = {}
        for r in requests:
            p = sigmoid(self.arms[r.arm][int(r.task_id[1:])] + offset)
            out.setdefault((r.arm, r.task_id), []).extend(
                1.0 if self.rng.random() < p else 0.0 for _ in range(r.repeats)
            )
        return out


def true_score(logits: list[float]) -> float:
    return sum(sigmoid(x) for x in logits) / len(logits)


async def climb(rule: str, n_tasks: int, seed: int, overrides: dict | None = None,
                world: str = "concentrated", drift: float = 0.0) -> dict:
    """One climb; returns its outcome and per-kind decision counts."""
    rng_world = random.Random(seed)  # the suite and the edits: identical for both rules
    suite = make_suite(n_tasks, rng_world)
    sim = Sim(random.Random(seed * 7919 + 1), BUDGET, drift=drift)
    decide_rng = random.Random(seed * 104729 + 2)
    config = DecideConfig(rule=rule, **(overrides if rule == "staged" and overrides else {}))
    tasks = [f"t{i}" for i in range(n_tasks)]
    incumbent = list(suite)
    sim.arms["incumbent"] = incumbent
    base = await sim.measure([TrialRequest("incumbent", t, BASELINE_REPEATS) for t in tasks])
    record = IncumbentRecord({t: base[("incumbent", t)] for t in tasks})
    ledger = sum(sum(r) / len(r) for r in record.per_task.values()) / n_tasks
    seen = {k: 0 for k in KINDS}
    kept = {k: 0 for k in KINDS}
    spent = {k: 0 for k in KINDS}
    decisions = trials = 0
    while True:
        edit = draw_edit(incumbent, record.per_task, rng_world, WORLDS[world])
        candidate = list(incumbent)
        for i, s in edit.shifts.items():
            candidate[i] = max(-6.0, min(6.0, candidate[i] + s))
        sim.arms = {"incumbent": incumbent, "candidate": candidate}
        try:
            decision = await evaluate_candidate(
                sim.measure, tasks, record, config,
                targeted=[f"t{i}" for i in edit.targeted], rng=decide_rng,
            )
        except BudgetExhausted:
            break
        decisions += 1
        trials += decision.trials_used
        seen[edit.kind] += 1
        spent[edit.kind] += decision.trials_used
        if decision.verdict == "keep":
            kept[edit.kind] += 1
            incumbent = candidate
        record = next_incumbent(record, decision)
        ledger = decision.reported_score
    truth = true_score(incumbent)
    return {
        "rule": rule, "T": n_tasks, "seed": seed,
        "true_lift": truth - true_score(suite), "ledger_bias": ledger - truth,
        "seen": seen, "kept": kept, "spent": spent, "decisions": decisions,
        "trials_per_decision": trials / max(1, decisions),
    }


def run_one(job: tuple[str, int, int, dict, str, float]) -> dict:
    return asyncio.run(climb(*job))


def summarize(results: list[dict]) -> dict:
    seen = {k: sum(r["seen"][k] for r in results) for k in KINDS}
    kept = {k: sum(r["kept"][k] for r in results) for k in KINDS}
    lifts = [r["true_lift"] for r in results]
    biases = [r["ledger_bias"] for r in results]

    def se(xs: list[float]) -> float:
        return statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0

    return {
        "true_lift": statistics.fmean(lifts),
        "true_lift_se": se(lifts),
        "keep_null": kept["null"] / max(1, seen["null"]),
        "keep_harmful": kept["harmful"] / max(1, seen["harmful"]),
        "keep_helpful": kept["helpful"] / max(1, seen["helpful"]),
        "ledger_bias": statistics.fmean(biases),
        "ledger_bias_se": se(biases),
        "ledger_rmse": math.sqrt(statistics.fmean(b * b for b in biases)),
        "decisions": statistics.fmean(r["decisions"] for r in results),
        "trials_per_decision": statistics.fmean(r["trials_per_decision"] for r in results),
        **{f"trials_{k}": sum(r["spent"][k] for r in results) / max(1, seen[k]) for k in KINDS},
    }


MAIN_KEYS = ("true_lift", "keep_null", "keep_harmful", "keep_helpful", "ledger_bias")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seeds", type=int, default=None, help="climbs per rule and suite size")
    parser.add_argument("--quick", action="store_true", help="fewer seeds (40)")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--world", choices=sorted(WORLDS), default="concentrated",
                        help="how edits act (see the module docstring)")
    parser.add_argument("--drift", type=float, default=0.0,
                        help="log-odds drift of every trial, reached linearly by the end of the budget")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a DecideConfig field of our rule (JSON value), to try alternatives")
    args = parser.parse_args()
    seeds = args.seeds or (40 if args.quick else 300)
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    DecideConfig(**overrides)  # fail before the run on a typo
    jobs = [(rule, n, seed, overrides, args.world, args.drift)
            for rule in ("staged", "naive") for n in SUITE_SIZES for seed in range(seeds)]
    started = time.monotonic()
    with multiprocessing.Pool(args.workers) as pool:
        results = pool.map(run_one, jobs, chunksize=4)
    by: dict[tuple[str, int], list[dict]] = {}
    for r in results:
        by.setdefault((r["rule"], r["T"]), []).append(r)
    table = {(rule, n): summarize(by[(rule, n)]) for rule in ("staged", "naive") for n in SUITE_SIZES}
    averaged = {
        rule: {k: statistics.fmean(table[(rule, n)][k] for n in SUITE_SIZES) for k in MAIN_KEYS}
        for rule in ("staged", "naive")
    }
    if args.json:
        print(json.dumps({"ours": averaged["staged"], "naive": averaged["naive"]}, indent=2))
        return
    print(f"decision quality: {seeds} climbs per cell, budget {BUDGET} trials, "
          f"{time.monotonic() - started:.0f}s")
    header = (f"{'rule':7} {'T':>4} {'true_lift':>15} {'keep_null':>9} {'keep_harm':>9} {'keep_help':>9} "
              f"{'ledger_bias':>15} {'rmse':>6} {'decisions':>9} {'trials/dec':>10}  by kind")
    print(header)
    for (rule, n), s in table.items():
        print(f"{'ours' if rule == 'staged' else rule:7} {n:>4} "
              f"{s['true_lift']:+.4f}±{s['true_lift_se']:.4f} {s['keep_null']:9.3f} {s['keep_harmful']:9.3f} "
              f"{s['keep_helpful']:9.3f} {s['ledger_bias']:+.4f}±{s['ledger_bias_se']:.4f} {s['ledger_rmse']:6.3f} "
              f"{s['decisions']:9.1f} {s['trials_per_decision']:10.1f}  "
              + " ".join(f"{k}:{s['trials_' + k]:.0f}" for k in KINDS))
    for rule in ("staged", "naive"):
        a = averaged[rule]
        print(f"{'ours' if rule == 'staged' else rule:7} avg  " + "  ".join(f"{k} {a[k]:+.4f}" for k in MAIN_KEYS))
    ours, naive = averaged["staged"], averaged["naive"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    per_size = " / ".join(
        verdict(table[("staged", n)]["true_lift"] >= table[("naive", n)]["true_lift"]) for n in SUITE_SIZES
    )
    print(f"goals, averaged over T: true lift >= naive: {verdict(ours['true_lift'] >= naive['true_lift'])} "
          f"(per T: {per_size}), null keeps <= 5%: {verdict(ours['keep_null'] <= 0.05)}, "
          f"harmful keeps <= 1%: {verdict(ours['keep_harmful'] <= 0.01)}, "
          f"|ledger bias| <= 1 point: {verdict(abs(ours['ledger_bias']) <= 0.01)}")


if __name__ == "__main__":
    main()

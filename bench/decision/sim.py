"""One simulated climb: the keep rule (the real `evaluate_candidate`) against a simulated world.

The climb is the product's loop in miniature: baseline, then candidates until the
trial budget runs out, each decided by `evaluate_candidate` and folded into the
record by `next_incumbent`, with the 'simpler' flag from the climb's own rule;
then the final confirmation (baseline vs final, head to head, paired), which in
the product runs after the climb's limits and so is outside the budget here too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.decision.worlds import WORLDS, Edit, World, apply_edit, draw_edit, make_suite, sigmoid, true_score
from meta.decide.config import DecideConfig
from meta.decide.records import IncumbentRecord, TrialRequest, honest_score, next_incumbent
from meta.decide.rule import evaluate_candidate
from meta.decide.change import paired_change
from meta.workspace.scope import Complexity, is_simpler

BASELINE_REPEATS = 2
FINAL_REPEATS = 2
CLASSES = ("null", "harmful", "helpful")
BIG_HARM = 0.01
"""A harmful edit 'costs more than a point' below this true change."""


class BudgetExhausted(Exception):
    """The next batch would exceed the climb's trial budget."""


@dataclass
class Sim:
    """Trial outcomes for the arms of a batch, and the climb's trial counter."""

    world: World
    n_tasks: int
    rng: random.Random
    budget: int
    used: int = 0
    arms: dict[str, list[float]] = field(default_factory=dict)
    flaky: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        k = round(self.world.noise.flaky_share * self.n_tasks)
        self.flaky = set(self.rng.sample(range(self.n_tasks), k))

    async def measure(self, requests: list[TrialRequest]) -> dict[tuple[str, str], list[float]]:
        """One batch: every arm's trials share the batch's shifts (and a task's, per task)."""
        cost = sum(r.repeats for r in requests)
        if self.used + cost > self.budget:
            raise BudgetExhausted
        return self.run(requests, cost)

    def run(self, requests: list[TrialRequest], cost: int, *,
            charge: bool = True) -> dict[tuple[str, str], list[float]]:
        noise, rng = self.world.noise, self.rng
        offset = noise.drift * min(1.0, self.used / self.budget)
        if noise.batch_sd:
            offset += rng.gauss(0, noise.batch_sd)
        if charge:
            self.used += cost
        task_shift: dict[int, float] = {}
        out: dict[tuple[str, str], list[float]] = {}
        for r in requests:
            task = int(r.task_id[1:])
            if noise.task_batch_sd and task not in task_shift:
                task_shift[task] = rng.gauss(0, noise.task_batch_sd)
            p = sigmoid(self.arms[r.arm][task] + offset + task_shift.get(task, 0.0))
            lost = noise.flaky_loss if task in self.flaky else noise.loss
            rewards = [1.0 if rng.random() < p else 0.0 for _ in range(r.repeats) if rng.random() >= lost]
            out.setdefault((r.arm, r.task_id), []).extend(rewards)
        return out


@dataclass
class Tally:
    """Decisions of one climb by the true effect of the edit."""

    seen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    kept: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    spent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    simpler_seen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    simpler_kept: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    big_harm_seen: int = 0
    """Edits that cost more than `BIG_HARM` of suite score ..."""
    big_harm_kept: int = 0
    """... and how many of them were kept."""
    kept_gain: float = 0.0
    decisions: int = 0
    trials: int = 0


def classify(current: list[float], candidate: list[float], edit: Edit) -> str:
    """'null' if the edit changes nothing; else by the sign of its true effect on the suite score."""
    change = true_score(candidate) - true_score(current)
    if not edit.shifts or abs(change) < 1e-12:
        return "null"
    return "helpful" if change > 0 else "harmful"


def failed_tasks(per_task: dict[str, list[float]], n_tasks: int) -> set[int]:
    """Tasks the incumbent failed at least once (or never ran): what a proposer targets."""
    return {i for i in range(n_tasks) if min(per_task.get(f"t{i}") or [0.0]) < 1.0}


async def climb(rule: str, world_name: str, n_tasks: int, budget: int, seed: int,
                overrides: dict | None = None) -> dict:
    """One climb; returns its outcome, its decisions by class and its final confirmation."""
    world = WORLDS[world_name]
    rng_world = random.Random(seed)  # the suite and the edits: identical for both rules
    suite = make_suite(world, n_tasks, rng_world)
    sim = Sim(world, n_tasks, random.Random(seed * 7919 + 1), budget)
    decide_rng = random.Random(seed * 104729 + 2)
    config = DecideConfig(rule=rule, **(overrides if rule == "staged" and overrides else {}))
    tasks = [f"t{i}" for i in range(n_tasks)]
    incumbent, tokens = list(suite), world.sizes.start_tokens
    sim.arms = {"incumbent": incumbent}
    tally = Tally()
    try:
        base = await sim.measure([TrialRequest("incumbent", t, BASELINE_REPEATS) for t in tasks])
    except BudgetExhausted:
        base = {}
    record = IncumbentRecord({t: base.get(("incumbent", t), []) for t in tasks})
    ledger = honest_score(record)
    while base:
        edit = draw_edit(world, incumbent, failed_tasks(record.per_task, n_tasks), tokens, rng_world)
        candidate = apply_edit(incumbent, edit)
        kind = classify(incumbent, candidate, edit)
        big_harm = true_score(candidate) - true_score(incumbent) < -BIG_HARM
        simpler = is_simpler(Complexity(tokens // 12, tokens), Complexity((tokens + edit.token_change) // 12,
                                                                           tokens + edit.token_change))
        sim.arms = {"incumbent": incumbent, "candidate": candidate, "baseline": suite}
        try:
            decision = await evaluate_candidate(sim.measure, tasks, record, config, candidate_simpler=simpler,
                                                targeted=[f"t{i}" for i in edit.targeted], rng=decide_rng)
        except BudgetExhausted:
            break
        tally.decisions += 1
        tally.trials += decision.trials_used
        tally.seen[kind] += 1
        tally.spent[kind] += decision.trials_used
        tally.simpler_seen[kind] += simpler
        tally.big_harm_seen += big_harm
        if decision.verdict == "keep":
            tally.kept[kind] += 1
            tally.big_harm_kept += big_harm
            tally.simpler_kept[kind] += simpler
            tally.kept_gain += true_score(candidate) - true_score(incumbent)
            incumbent, tokens = candidate, tokens + edit.token_change
        record = next_incumbent(record, decision)
        ledger = decision.reported_score
    truth, start = true_score(incumbent), true_score(suite)
    # The naive rule claims no change against the baseline; ours claims 0 until it keeps something.
    claimed = None if rule == "naive" else (0.0, 0.0) if incumbent == suite else record.baseline_change
    return {
        "rule": rule, "world": world_name, "T": n_tasks, "B": budget, "seed": seed,
        "true_lift": truth - start, "ledger_bias": ledger - truth, "changed": incumbent != suite,
        "change_bias": None if claimed is None else claimed[0] - (truth - start),
        "seen": tally.seen, "kept": tally.kept, "spent": tally.spent, "decisions": tally.decisions,
        "simpler_seen": tally.simpler_seen, "simpler_kept": tally.simpler_kept,
        "big_harm": (tally.big_harm_kept, tally.big_harm_seen),
        "trials_per_decision": tally.trials / max(1, tally.decisions),
        "kept_any": sum(tally.kept.values()) > 0,
        "final": final_confirmation(sim, suite, incumbent, tasks, truth - start, sum(tally.kept.values()) > 0),
    }


def final_confirmation(sim: Sim, suite: list[float], final: list[float], tasks: list[str], truth: float,
                       kept: bool) -> dict:
    """Baseline vs final, FINAL_REPEATS each per task in one batch (outside the budget), as the climb does
    whenever it kept an edit (a kept null edit leaves the true scores as they were)."""
    if not kept:
        return {"ran": False}
    sim.arms = {"candidate": final, "incumbent": suite}
    requests = [TrialRequest(arm, t, FINAL_REPEATS) for t in tasks for arm in ("candidate", "incumbent")]
    out = sim.run(requests, 0, charge=False)
    test = paired_change({t: out.get(("candidate", t), []) for t in tasks},
                         {t: out.get(("incumbent", t), []) for t in tasks}, sim.rng)
    return {"ran": True, "error": test.change - truth, "covered": test.low <= truth <= test.high,
            "significant": test.p_value <= 0.05, "harmful": truth < 0, "no_change": abs(truth) < 1e-12}

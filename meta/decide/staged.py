"""The staged procedure: spot (with futility), full, sequential rounds, confirmation."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence

from meta.decide.config import DecideConfig
from meta.decide.records import (
    Arm,
    Decision,
    IncumbentRecord,
    Measure,
    Stage,
    TrialRequest,
    Verdict,
    count_trials,
    honest_score,
    next_incumbent,
)
from meta.decide.sampling import (
    pick_repeats,
    spot_size,
    stratified_estimate,
    stratified_sample,
    stratify,
)
from meta.decide.stats import (
    PairedStats,
    lower_bound,
    normal_p_value,
    paired_stats,
    permutation_p_value,
    screening_z,
    sequential_levels,
    suite_score,
)

BOTH: tuple[Arm, Arm] = ("candidate", "incumbent")


class Evidence:
    """The rewards gathered for one decision and the batches that gathered them."""

    def __init__(self, measure: Measure) -> None:
        self.measure = measure
        self.candidate: dict[str, list[float]] = {}
        self.incumbent: dict[str, list[float]] = {}
        self.confirmation: dict[str, list[float]] = {}
        self.trials = 0

    async def batch(self, plan: Sequence[tuple[str, int]], *, step: str, arms: Sequence[Arm] = BOTH,
                    confirm: bool = False) -> dict[str, list[float]]:
        """Run (task, repeats) for each arm, in one batch; returns the incumbent's rewards."""
        requests = [TrialRequest(arm, task, n, step) for task, n in plan if n > 0 for arm in arms]
        fresh: dict[str, list[float]] = {}
        if not requests:
            return fresh
        results = await self.measure(requests)
        for (arm, task), rewards in results.items():
            rewards = [float(r) for r in rewards]
            if not rewards:
                continue
            self.trials += len(rewards)
            if confirm:
                self.confirmation.setdefault(task, []).extend(rewards)
            elif arm == "candidate":
                self.candidate.setdefault(task, []).extend(rewards)
            else:
                self.incumbent.setdefault(task, []).extend(rewards)
                fresh.setdefault(task, []).extend(rewards)
        return fresh

    def paired(self) -> set[str]:
        """Tasks with rewards in both arms."""
        return {t for t, r in self.candidate.items() if r and self.incumbent.get(t)}


@dataclasses.dataclass(frozen=True)
class _Outcome:
    verdict: Verdict
    stage: Stage
    why: str


async def run_staged(evidence: Evidence, tasks: list[str], targeted: list[str], incumbent: IncumbentRecord,
                     config: DecideConfig, simpler: bool, rng: random.Random) -> Decision:
    """Run the staged evaluation and build the decision (see `meta.decide.rule`)."""
    procedure = _Staged(evidence, tasks, incumbent, config, simpler, rng)
    outcome = await procedure.stages(targeted)
    confirmation_estimate = None
    if outcome.verdict == "keep" and config.confirm_repeats > 0 and config.confirm_fraction > 0:
        strata = stratify(tasks, evidence.candidate)
        n = max(1, math.ceil(config.confirm_fraction * len(tasks)))
        sample = stratified_sample(tasks, evidence.candidate, n, rng, {})
        await evidence.batch([(t, config.confirm_repeats) for t in sample], step="confirm", arms=("candidate",),
                             confirm=True)
        value = stratified_estimate(evidence.confirmation, [], strata, sample)
        if value is not None:
            confirmation_estimate = (value, float(count_trials(evidence.confirmation)))
    s = paired_stats(evidence.candidate, evidence.incumbent)
    reason = outcome.why
    if outcome.verdict != "keep":
        reason += f": delta {s.delta:+.3f} (se {s.se:.3f}) over {s.tasks} tasks, {evidence.trials} trials"
    elif evidence.confirmation:
        reason += f" (+{count_trials(evidence.confirmation)} confirmation trials)"
    decision = Decision(
        verdict=outcome.verdict, reason=reason, stage_reached=outcome.stage, delta=s.delta,
        delta_se=s.se, bound=procedure.p_value, statistic=procedure.statistic,
        trials_used=evidence.trials, candidate_per_task=evidence.candidate,
        incumbent_per_task=evidence.incumbent, candidate_score=suite_score(evidence.candidate),
        reported_score=0.0, incumbent_estimate=procedure.estimate,
        confirmation_per_task=evidence.confirmation, confirmation_estimate=confirmation_estimate,
    )
    return dataclasses.replace(decision, reported_score=honest_score(next_incumbent(incumbent, decision)))


class _Staged:
    """The looks of one staged evaluation and the statistics they left behind."""

    def __init__(self, evidence: Evidence, tasks: list[str], incumbent: IncumbentRecord,
                 config: DecideConfig, simpler: bool, rng: random.Random) -> None:
        self.evidence = evidence
        self.tasks = tasks
        self.incumbent = incumbent
        self.config = config
        self.shift = config.simpler_margin if simpler else 0.0
        self.rng = rng
        self.cap = max(1, math.ceil(config.max_trials_factor * len(tasks)))
        self.looks = 1 + config.max_rounds
        self.look_level = config.alpha / self.looks
        self.weights = {"pass": config.spot_weight_pass, "fail": config.spot_weight_fail, "mixed": 1.0}
        self.stats = PairedStats(0, 0.0, 0.0, 0.0)
        self.p_value: float | None = None
        self.statistic = "perm_z_p"
        self.estimate: tuple[float, float] | None = None
        self.targeted: list[str] = []
        self.screen = 0.0
        self.infos: list[float] = []
        shares = [config.spend_ratio**k for k in range(self.looks)]
        self.spend = [config.alpha * share / sum(shares) for share in shares]

    def _futile(self, stage: Stage, where: str, threshold: float) -> _Outcome | None:
        """A futility look: a discard if the candidate's screening z is below the threshold."""
        ev, cfg = self.evidence, self.config
        if not ev.paired():
            return None
        history = self.incumbent.per_task if cfg.screen_with_history else {}
        weights = {t: cfg.target_weight for t in self.targeted}
        self.screen = screening_z(ev.candidate, ev.incumbent, history, weights, self.shift)
        if self.shift:  # a simpler candidate need only show it is not worse
            threshold = min(threshold, cfg.simpler_futility_z)
        if self.screen >= threshold:
            return None
        self.statistic, self.p_value = "screen_p", normal_p_value(self.screen)
        return _Outcome("discard", stage, f"futile {where} (screening z {self.screen:+.2f} < {threshold:+.2f})")

    def _update(self) -> PairedStats:
        self.stats = paired_stats(self.evidence.candidate, self.evidence.incumbent, self.shift)
        self.p_value = normal_p_value(self.stats.z) if self.stats.tasks else None
        self.statistic = "perm_z_p"
        return self.stats

    async def stages(self, targeted: list[str]) -> _Outcome:
        """Spot, widening, full, sequential rounds; the first verdict reached."""
        cfg, ev = self.config, self.evidence
        self.targeted = targeted
        rest = [t for t in self.tasks if t not in set(targeted)]
        n = spot_size(len(rest), cfg.spot_fraction, cfg.spot_min_tasks)
        sampled = stratified_sample(rest, self.incumbent.per_task, n, self.rng, self.weights)
        fresh = await ev.batch([(t, cfg.spot_target_repeats) for t in targeted]
                               + [(t, cfg.spot_repeats) for t in sampled], step="spot")
        value = stratified_estimate(fresh, targeted, stratify(rest, self.incumbent.per_task), sampled)
        if value is not None:
            self.estimate = (value, float(count_trials(fresh)))
        self._update()
        if futile := self._futile("spot", "at spot", cfg.spot_futility_z):
            return futile

        for step in range(cfg.widen_steps if cfg.widen_fraction > 0 else 0):
            unmeasured = [t for t in self.tasks if t not in ev.paired()]
            n = min(len(unmeasured), math.ceil(cfg.widen_fraction * len(unmeasured)))
            widened = stratified_sample(unmeasured, self.incumbent.per_task, n, self.rng, self.weights)
            await ev.batch([(t, cfg.full_repeats) for t in widened], step="widen")
            self._update()
            if futile := self._futile("spot", f"at widened spot {step + 1}", cfg.widen_futility_z):
                return futile

        await ev.batch([(t, cfg.full_repeats) for t in self.tasks if t not in ev.paired()], step="full")
        if self._credible():
            return _Outcome("keep", "full", self._keep_reason(1))
        if futile := self._futile("full", "at full", cfg.full_futility_z):
            return futile

        for round_no in range(1, cfg.max_rounds + 1):
            room = min(self.cap - ev.trials, math.ceil(cfg.round_trials_factor * len(self.tasks)))
            chosen = pick_repeats(ev.candidate, ev.incumbent, self.incumbent.per_task,
                                  self.tasks, cfg.seq_repeats, room)
            if not chosen:
                return self._capped(round_no - 1)
            await ev.batch([(t, cfg.seq_repeats) for t in chosen], step="sequential")
            if self._credible():
                return _Outcome("keep", "sequential", self._keep_reason(1 + round_no))
            if round_no < cfg.max_rounds and (
                futile := self._futile("sequential", f"after round {round_no}", cfg.seq_futility_z)
            ):
                return futile
        return self._capped(cfg.max_rounds)

    def _credible(self) -> bool:
        """The keep test at one look: permutation p at or below this look's nominal level."""
        cfg, ev = self.config, self.evidence
        s = self._update()
        self.infos.append(1 / s.se**2 if s.se > 0 else 1e12)
        if cfg.boundary == "bonferroni":
            self.look_level = self.spend[len(self.infos) - 1]
        elif self.p_value is not None and self.p_value <= 0.5:
            self.look_level = sequential_levels(self.infos, self.spend)[-1]
        if s.tasks < cfg.min_coverage * len(self.tasks) or s.delta + self.shift <= 0:
            return False
        if self.p_value is None or self.p_value > cfg.screen_factor * self.look_level:
            return False
        self.statistic = "perm_p"
        self.p_value = permutation_p_value(ev.candidate, ev.incumbent, self.rng, cfg.n_permutations, self.shift)
        return self.p_value <= self.look_level

    def _keep_reason(self, look: int) -> str:
        s = self.stats
        what = f"non-inferior (margin {self.shift:.3f}) paired" if self.shift else "paired"
        bound = lower_bound(s.delta, s.se, self.look_level)
        return (f"{what} delta {s.delta:+.3f} (lower bound {bound:+.3f}; permutation p {self.p_value:.4f} <= "
                f"{self.look_level:.4f} at look {look} of {self.looks}, alpha {self.config.alpha}) "
                f"over {s.tasks} tasks, {self.evidence.trials} trials")

    def _capped(self, rounds: int) -> _Outcome:
        verdict: Verdict = "inconclusive" if self.config.inconclusive_when_capped else "discard"
        p = "n/a" if self.p_value is None else f"{self.p_value:.4f}"
        return _Outcome(verdict, "sequential" if rounds else "full",
                        f"not credible after {rounds} sequential round(s) (p {p} > {self.look_level:.4f})")

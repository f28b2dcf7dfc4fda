"""The staged procedure: spot (with futility), full, sequential rounds, confirmation."""

from __future__ import annotations

import dataclasses
import math
import random

from meta.decide.config import DecideConfig
from meta.decide.confirm import Confirmation, confirm
from meta.decide.boundary import sequential_levels
from meta.decide.evidence import Evidence
from meta.decide.records import (
    Decision,
    IncumbentRecord,
    Stage,
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
    suite_score,
)

@dataclasses.dataclass(frozen=True)
class _Outcome:
    verdict: Verdict
    stage: Stage
    why: str


async def run_staged(evidence: Evidence, tasks: list[str], targeted: list[str], incumbent: IncumbentRecord,
                     config: DecideConfig, simpler: bool, rng: random.Random) -> Decision:
    """Run the staged evaluation and build the decision (see `meta.decide`)."""
    procedure = _Staged(evidence, tasks, incumbent, config, simpler, rng)
    outcome = await procedure.stages(targeted)
    confirmation = Confirmation(None, None)
    if outcome.verdict == "keep":
        confirmation = await confirm(evidence, tasks, config, rng)
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
        confirmation_per_task=evidence.confirmation, confirmation_estimate=confirmation.estimate,
        baseline_change=confirmation.baseline_change,
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
        self.spend = config.alpha_spending(simpler)
        self.look_level = self.spend[0]
        self.weights = {"pass": config.spot_weight_pass, "fail": config.spot_weight_fail, "mixed": 1.0}
        self.stats = PairedStats(0, 0.0, 0.0, 0.0)
        self.p_value: float | None = None
        self.statistic = "perm_z_p"
        self.estimate: tuple[float, float] | None = None
        self.targeted: list[str] = []
        self.screen = 0.0
        self.harm = 0.0
        self.infos: list[float] = []

    def futility(self, base: float) -> float:
        return self.config.futility_threshold(base, len(self.tasks))

    def _screening_z(self, *, untargeted: bool = False, weighted: bool = True) -> float:
        """The candidate against the incumbent's fresh and past rewards (see `screening_z`):
        targets weighted up (unless not `weighted`), or on the untargeted tasks alone, unweighted."""
        cfg, ev = self.config, self.evidence
        history = self.incumbent.per_task if cfg.screen_with_history else {}
        if untargeted:
            aimed = set(self.targeted)
            others = {t: r for t, r in ev.candidate.items() if t not in aimed}
            return screening_z(others, ev.incumbent, history, None, self.shift)
        weights = {t: cfg.target_weight for t in self.targeted} if weighted else None
        return screening_z(ev.candidate, ev.incumbent, history, weights, self.shift)

    def _futile(self, stage: Stage, where: str, threshold: float) -> _Outcome | None:
        """A futility look: a discard if the screening z is below the threshold, or if the
        same z on the untargeted tasks is below -`harm_futility_z`."""
        cfg = self.config
        if not self.evidence.paired():
            return None
        self.screen = self._screening_z()
        if self.shift:  # a simpler candidate need only show it is not worse
            threshold = min(threshold, cfg.simpler_futility_z)
        if self.screen < threshold:
            self.statistic, self.p_value = "screen_p", normal_p_value(self.screen)
            return _Outcome("discard", stage, f"futile {where} (screening z {self.screen:+.2f} < {threshold:+.2f})")
        # Help on the targeted tasks must not be paid for elsewhere.
        self.harm = self._screening_z(untargeted=True)
        if self.harm >= -cfg.harm_futility_z:
            return None
        self.statistic, self.p_value = "screen_p", normal_p_value(self.harm)
        return _Outcome("discard", stage, f"hurts untargeted tasks {where} (screening z on them "
                                          f"{self.harm:+.2f} < {-cfg.harm_futility_z:+.2f})")

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
        if futile := self._futile("spot", "at spot", self.futility(cfg.spot_futility_z)):
            return futile

        for step in range(cfg.widen_steps if cfg.widen_fraction > 0 else 0):
            unmeasured = [t for t in self.tasks if t not in ev.paired()]
            n = min(len(unmeasured), math.ceil(cfg.widen_fraction * len(unmeasured)))
            widened = stratified_sample(unmeasured, self.incumbent.per_task, n, self.rng, self.weights)
            await ev.batch([(t, cfg.full_repeats) for t in widened], step="widen")
            self._update()
            if futile := self._futile("spot", f"at widened spot {step + 1}", self.futility(cfg.widen_futility_z)):
                return futile

        await ev.batch([(t, cfg.full_repeats) for t in self.tasks if t not in ev.paired()], step="full")
        if self._credible():
            return _Outcome("keep", "full", self._keep_reason(1))
        if futile := self._futile("full", "at full", cfg.full_futility_z):
            return futile

        for round_no in range(1, cfg.max_rounds + 1):
            room = min(self.cap - ev.trials, math.ceil(cfg.round_trials_factor * len(self.tasks)))
            chosen = pick_repeats(ev.candidate, ev.incumbent, self.incumbent.per_task, self.tasks,
                                  cfg.seq_repeats, room, adaptive=cfg.adaptive_repeats, targeted=self.targeted)
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
        """The keep test at one look: permutation p at or below this look's nominal level, on
        enough tasks, and (the keep screen) the screening z at `keep_screen_z` or above."""
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
        if cfg.keep_screen_z is not None:
            # A simpler candidate has to beat the record only by its own (non-inferiority) bar.
            bar = min(cfg.keep_screen_z, cfg.simpler_futility_z) if self.shift else cfg.keep_screen_z
            if self._screening_z(weighted=cfg.keep_screen_weighted) < bar:
                return False
        # Help on the targets must not be paid for elsewhere (see `DecideConfig.harm_keep_z`).
        if self.targeted and self._screening_z(untargeted=True) < -cfg.harm_keep_z:
            return False
        self.statistic = "perm_p"
        self.p_value = permutation_p_value(ev.candidate, ev.incumbent, self.rng, cfg.n_permutations, self.shift)
        return self.p_value <= self.look_level

    def _keep_reason(self, look: int) -> str:
        s = self.stats
        what = f"non-inferior (margin {self.shift:.3f}) paired" if self.shift else "paired"
        bound = lower_bound(s.delta, s.se, self.look_level)
        return (f"{what} delta {s.delta:+.3f} (lower bound {bound:+.3f}; permutation p {self.p_value:.4f} <= "
                f"{self.look_level:.4f} at look {look} of {self.looks}, alpha {sum(self.spend):.3g}) "
                f"over {s.tasks} tasks, {self.evidence.trials} trials")

    def _capped(self, rounds: int) -> _Outcome:
        verdict: Verdict = "inconclusive" if self.config.inconclusive_when_capped else "discard"
        p = "n/a" if self.p_value is None else f"{self.p_value:.4f}"
        return _Outcome(verdict, "sequential" if rounds else "full",
                        f"not credible after {rounds} sequential round(s) (p {p} > {self.look_level:.4f})")

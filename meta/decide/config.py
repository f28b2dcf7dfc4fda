"""Configuration of the keep rule. The defaults are the ones bench/decision_quality.py's panel chose
among the alternatives it was run with (the README's Benchmarks section has its figures, cell by cell,
and says where they miss the bounds the rule aims for, and why)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, Field

from meta.decide.defaults import ALPHA


class DecideConfig(BaseModel, extra="forbid", use_attribute_docstrings=True):
    """How a candidate edit is evaluated and when it is kept."""

    rule: Literal["staged", "naive"] = "staged"
    """'staged': paired spot / full / sequential evaluation with a credible-improvement test.
    'naive': one full-suite run of the candidate, kept if its mean beats the incumbent's
    recorded score (for comparison only: it ratchets on noise)."""

    alpha: float = Field(ALPHA, gt=0, lt=0.5)
    """One-sided level of the keep test over all its looks (full + each round): the chance
    that a candidate no better than the incumbent is kept once it reaches them. Futility looks
    and the keep screens stop most such candidates first, so in the bench's panel 0.4-2.7% of
    null edits are kept per decision (the bound is 5%). 0.3 rather than 0.2 (with
    `keep_screen_z` 1.5 rather than 2): at 0.2 the panel's lift fell short of the naive rule's
    in 9 of 29 cells (among them T=24 at 1,000 trials and T=89 in the agent and drift worlds),
    at 0.3 in 5, all where the budget is under ~20 trials per task. An edit that helps its
    targets and costs about as much elsewhere passes the screens and is kept at up to this
    level (1.9-2.8% of such net-harmful edits in the panel): see the README."""

    boundary: Literal["group_sequential", "bonferroni"] = "group_sequential"
    """How the keep looks share alpha (each spends its part, see `spend_ratio`).
    'group_sequential' sets each look's level from the looks' actual correlation, so the
    chance of a first crossing there is exactly its part (exact for z statistics on
    accumulating data); 'bonferroni' uses the part itself as the level (stricter)."""

    spend_ratio: float = Field(0.5, gt=0)
    """Alpha spent at each keep look relative to the one before: 1 spends alpha / looks at
    every look, below 1 spends more early, above 1 more late. 0.5 puts half of it on the full
    look, where every task has its first pair and the estimate is least adaptive."""

    spot_fraction: float = Field(0.05, ge=0, le=1)
    """Share of the non-targeted train tasks sampled (stratified) in the spot stage."""

    spot_min_tasks: int = Field(4, ge=0)
    """At least this many non-targeted tasks in the spot stage (fewer if the suite is smaller)."""

    spot_weight_pass: float = Field(1.0, ge=0)
    """Sampling weight per task of the 'always passed so far' stratum, relative to 'mixed' (1)."""

    spot_weight_fail: float = Field(1.0, ge=0)
    """Sampling weight per task of the 'never passed so far' stratum, relative to 'mixed' (1)."""

    spot_repeats: int = Field(1, ge=1)
    """Trials per arm per spot task."""

    spot_target_repeats: int = Field(2, ge=1)
    """Trials per arm per targeted task in the spot stage (where a real fix should show)."""

    spot_futility_z: float = 0.8
    """Discard after the spot stage when the screening z (see `screen_with_history`) is below this."""

    futility_growth: float = Field(0.3, ge=0)
    """The spot and widening thresholds rise by this much per doubling of the suite beyond 24
    tasks: what a surviving candidate still costs grows with the suite, a fresh candidate's spot
    stage does not, so on a large suite it pays to drop more of the doubtful ones early."""

    widen_fraction: float = Field(0.3, ge=0, le=1)
    """Before the full stage, first run this share of the still unmeasured tasks (stratified),
    with a futility look after it: a second, cheaper screen. 0 skips it."""

    widen_steps: int = Field(2, ge=0)
    """How many widening steps, each running `widen_fraction` of the still unmeasured tasks."""

    widen_futility_z: float = 0.8
    """Discard after a widening step when the screening z is below this."""

    screen_with_history: bool = True
    """Futility looks compare the candidate with the incumbent's fresh rewards pooled with
    its history (sharper screening). Only discards use it; keeps use same-batch pairs only."""

    target_weight: float = Field(8.0, ge=0)
    """Weight of each targeted task in the screening z (others weigh 1): a real fix shows
    first on the failures it was written for."""

    harm_futility_z: float = Field(1.0, gt=0)
    """At every futility look, discard when the screening z on the tasks the edit did NOT
    target (unweighted) is below minus this: an edit that fixes its targets by breaking other
    tasks nets about zero, and the paired test alone keeps such edits at its full level."""

    harm_keep_z: float = 0.0
    """At a keep look, refuse the keep when the screening z on the tasks the edit did NOT target
    is below minus this (0: they must not look worse than the incumbent's record at all).
    Stricter than `harm_futility_z` because it decides a keep, not a discard: an edit whose
    targets pass the screens is otherwise held to the paired test alone, which keeps an edit
    that helps its targets and costs about as much elsewhere at up to `alpha`."""

    keep_screen_z: float | None = 1.5
    """At a keep look, the screening z (the candidate against the incumbent's fresh AND past
    rewards, targets weighted up) must also reach this, so an unlucky re-run of the incumbent
    cannot hand a keep to a candidate that does not beat its long record. It only ever refuses
    a keep. None: no such condition. Unweighted at 1.5 (`keep_screen_weighted` false), it
    brought the mixed-sign worlds' harmful keeps under 1% in the panel but cost 1-3 points of
    lift at T=89 and 200 and missed the lift bound in 10 of the 12 cells tried (60 climbs each)."""

    keep_screen_weighted: bool = True
    """The keep screen weighs the targeted tasks up (`target_weight`), as the futility looks do;
    false: every task weighs the same, so the candidate must beat the record on the suite score."""

    full_repeats: int = Field(1, ge=1)
    """Trials per arm for each task a widening step or the full stage adds."""

    full_futility_z: float = 1.0
    """Discard after the full stage (if not already kept) when the screening z is below this."""

    max_rounds: int = Field(4, ge=0)
    """Sequential rounds of extra repeats after the full stage."""

    seq_repeats: int = Field(1, ge=1)
    """Trials per arm added to each task chosen in a sequential round."""

    round_trials_factor: float = Field(0.5, gt=0)
    """Trials per sequential round, at most, as a multiple of the number of train tasks."""

    adaptive_repeats: bool = False
    """Sequential rounds repeat the tasks where this comparison's arms disagreed (adaptive), or
    choose them from the incumbent's history and the targets alone (not adaptive), which keeps
    every task's mean unbiased when an edit helps some tasks and hurts others."""

    seq_futility_z: float = 1.2
    """Discard after a sequential round (not the last) when the screening z is below this."""

    max_trials_factor: float = Field(8.0, gt=0)
    """Cap on the trials of one decision before its confirmation, as a multiple of the
    number of train tasks (it bounds the sequential rounds)."""

    min_coverage: float = Field(0.8, ge=0, le=1)
    """A keep needs paired outcomes on at least this share of the train tasks (infra losses)."""

    screen_factor: float = Field(3.0, ge=1)
    """The permutation test runs only when the normal p-value is within this factor of the
    look's level; beyond it the normal approximation already says 'not significant'."""

    n_permutations: int = Field(2000, ge=100)
    """Monte Carlo draws of the permutation test."""

    simpler_margin: float = Field(0.01, ge=0)
    """For a simpler candidate, keep if credibly no worse than this (in suite-score units):
    the keep test becomes a non-inferiority test of delta > -margin. Which candidates are
    simpler is the climb's rule (`meta.workspace.scope.is_simpler`: a real cut)."""

    simpler_alpha: float = Field(0.05, gt=0, lt=0.5)
    """Level of a simpler candidate's non-inferiority test over its looks. Stricter than
    `alpha`: a small suite cannot tell 'no worse than the margin' from 'a few points worse',
    so a lenient level would keep harmful simplifications at about that level."""

    simpler_futility_z: float = 0.0
    """For a simpler candidate, a futility look discards only below this z (or the look's own
    threshold if lower), on a z that counts the margin: it has to show it is no worse, not
    better. Lower lets more harmful simplifications reach the keep test, and costs trials."""

    confirm_repeats: int = Field(1, ge=0)
    """Fresh trials per train task of a kept candidate, run after the verdict, from which
    the ledger's score is computed (no winner's curse). 0 reports the selection data (biased)."""

    confirm_fraction: float = Field(0.25, ge=0, le=1)
    """Share of the train tasks in the confirmation sample (stratified), at least
    `confirm_min_tasks`: on a large suite a quarter of the tasks pins the score down well
    enough, and every confirmation trial is one fewer for the next candidates."""

    confirm_min_tasks: int = Field(30, ge=1)
    """The confirmation runs at least this many train tasks (all of a smaller suite)."""

    confirm_baseline: bool = True
    """The confirmation also runs the climb's baseline on the same tasks in the same batch,
    so the ledger shows the kept candidate's change against the baseline, paired (drift and
    batch effects move both arms alike). The measure must then run the 'baseline' arm."""

    inconclusive_when_capped: bool = False
    """When the rounds or the trial cap run out undecided: 'inconclusive' if true, else 'discard'."""

    def futility_threshold(self, base: float, n_tasks: int) -> float:
        """A futility look's threshold on a suite of `n_tasks`: `base`, raised beyond 24 tasks."""
        return base + self.futility_growth * max(0.0, math.log2(n_tasks / 24)) if n_tasks > 0 else base

    def alpha_spending(self, simpler: bool = False) -> list[float]:
        """The level each keep look spends (full, then each sequential round); they sum to
        `alpha`, or to `simpler_alpha` for a simpler candidate's non-inferiority test."""
        shares = [self.spend_ratio**k for k in range(1 + self.max_rounds)]
        total = self.simpler_alpha if simpler else self.alpha
        return [total * share / sum(shares) for share in shares]

"""Configuration of the keep rule. Defaults are the ones bench/decision_quality.py validates."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class DecideConfig(BaseModel, extra="forbid", use_attribute_docstrings=True):
    """How a candidate edit is evaluated and when it is kept."""

    rule: Literal["staged", "naive"] = "staged"
    """'staged': paired spot / full / sequential evaluation with a credible-improvement test.
    'naive': one full-suite run of the candidate, kept if its mean beats the incumbent's
    recorded score (for comparison only: it ratchets on noise)."""

    alpha: float = Field(0.2, gt=0, lt=0.5)
    """One-sided level of the keep test over all its looks (full + each round): the chance
    that a candidate no better than the incumbent is kept once it reaches them. Futility
    looks stop most such candidates before that, so the realized rate is far lower: with
    these defaults about 3% of null edits are kept in bench/decision_quality.py (0.1 gives
    about 2%, but climbs 20-30% less for the same trials)."""

    boundary: Literal["group_sequential", "bonferroni"] = "group_sequential"
    """How the keep looks share alpha (each spends its part, see `spend_ratio`).
    'group_sequential' sets each look's level from the looks' actual correlation, so the
    chance of a first crossing there is exactly its part (exact for z statistics on
    accumulating data); 'bonferroni' uses the part itself as the level (stricter)."""

    spend_ratio: float = Field(1.0, gt=0)
    """Alpha spent at each keep look relative to the one before: 1 spends alpha / looks at
    every look, below 1 spends more early, above 1 more late."""

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

    simpler_margin: float = Field(0.02, ge=0)
    """For a simpler candidate, keep if credibly no worse than this (in suite-score units):
    the keep test becomes a non-inferiority test of delta > -margin."""

    simpler_futility_z: float = -0.5
    """For a simpler candidate, a futility look discards only below this z (or the look's own
    threshold if lower): it has to show it is no worse, not that it is better."""

    confirm_repeats: int = Field(1, ge=0)
    """Fresh trials per train task of a kept candidate, run after the verdict, from which
    the ledger's score is computed (no winner's curse). 0 reports the selection data (biased)."""

    confirm_fraction: float = Field(1.0, ge=0, le=1)
    """Share of the train tasks in the confirmation sample (stratified; 1.0 = every task)."""

    inconclusive_when_capped: bool = False
    """When the rounds or the trial cap run out undecided: 'inconclusive' if true, else 'discard'."""

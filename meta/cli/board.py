"""What the dashboard knows: a climb's state, folded from its events, rows and trial callbacks.

Pure: no terminal, no clock. Every update carries its own time (an event's ``t``, or the
time the caller gives), so a recorded stream replays to the same picture, and the ETAs are
computed for whatever ``now`` the renderer asks about.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from meta.cli.narrate import batch_stage, clip_words, describe, describe_row, meta_turn, stage_after

RECENT = 6
"""Decisions shown."""


def event_time(event: dict[str, Any]) -> float | None:
    """An event's ``t`` as epoch seconds (None when it has none, or it is unreadable)."""
    try:
        return datetime.fromisoformat(str(event["t"])).timestamp()
    except (KeyError, ValueError):
        return None


@dataclass
class Batch:
    """The trial batch running now (or the last one)."""

    label: str
    total: int
    started: float
    done: int = 0
    running: int = 0
    errors: int = 0
    """Trials that ended in an error status (agent, verifier or infrastructure)."""
    infra: int = 0
    active: bool = True

    def eta(self, now: float) -> float | None:
        if not self.active or self.done == 0 or self.total <= self.done:
            return None
        return (now - self.started) / self.done * (self.total - self.done)


@dataclass
class Decision:
    exp: int
    status: str
    delta: float | None
    description: str
    """The proposal's description (for the baseline, the row as a line)."""
    reason: str = ""


@dataclass
class BoardState:
    """Everything the dashboard shows, folded from the climb's stream."""

    run: str = ""
    stage: str = "starting"
    stage_since: float | None = None
    exp: int = 0
    limits: dict[str, Any] = field(default_factory=dict)
    started_at: float | None = None
    elapsed_before: float = 0.0
    """Seconds the climb ran in earlier processes (a resumed climb)."""
    meta_turn: str = ""
    batch: Batch | None = None
    spend: dict[str, dict[str, float]] = field(default_factory=dict)
    """role -> {"usd", "tokens"}: the last spend event plus what was seen since."""
    incumbent: dict[str, Any] = field(default_factory=dict)
    best: list[float] = field(default_factory=list)
    decisions: deque[Decision] = field(default_factory=lambda: deque(maxlen=RECENT))
    reasons: dict[int, str] = field(default_factory=dict)
    notice: str = ""
    proposal_started: float | None = None
    proposal_seconds: list[float] = field(default_factory=list)
    experiments_done: int = 0
    climbing_since: float | None = None
    """When this process started its first experiment; time per experiment is measured from it."""
    done_when_climbing: int = 0
    """Experiments already done at ``climbing_since``."""

    # ----- updates ------------------------------------------------------------------------------
    def apply(self, event: dict[str, Any], at: float | None = None) -> None:
        """Fold one ledger event in; ``at`` defaults to the event's own time."""
        at = at if at is not None else event_time(event)
        kind = event.get("kind")
        if isinstance(event.get("exp"), int) and kind not in ("climb_start", "split"):
            self.exp = event["exp"]
        stage = stage_after(event, self.stage)
        if stage != self.stage:
            self.stage, self.stage_since = stage, at
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event, at)

    def _on_climb_start(self, e: dict[str, Any], at: float | None) -> None:
        self.run = str(e.get("run_id") or self.run)
        self.limits = {k: e.get(k) for k in ("hours", "max_experiments", "budget_usd", "plateau")}
        self.started_at, self.elapsed_before = at, float(e.get("elapsed_sec") or 0.0)
        self.experiments_done = int(e.get("exp") or 0)

    def _on_batch_start(self, e: dict[str, Any], at: float | None) -> None:
        self.batch = Batch(batch_stage(e), int(e.get("trials") or 0), at or 0.0)

    def _on_trial_batch(self, e: dict[str, Any], at: float | None) -> None:
        if self.batch is not None:
            self.batch.active = False
            self.batch.running = 0

    def _on_proposal_start(self, e: dict[str, Any], at: float | None) -> None:
        self.proposal_started, self.meta_turn = at, "starting the conversation"
        if self.climbing_since is None:
            self.climbing_since, self.done_when_climbing = at, self.experiments_done

    def _on_meta_turn(self, e: dict[str, Any], at: float | None) -> None:
        self.meta_turn = meta_turn(e)
        self._add_spend("meta", e.get("cost_usd"), e.get("tokens"))

    def _on_proposal(self, e: dict[str, Any], at: float | None) -> None:
        if self.proposal_started is not None and at is not None:
            self.proposal_seconds.append(at - self.proposal_started)
        self.proposal_started = None
        self.meta_turn = ""

    def _on_gate(self, e: dict[str, Any], at: float | None) -> None:
        if not e.get("passed", True):
            self.reasons[self.exp] = str(e.get("reason") or "")

    def _on_decision(self, e: dict[str, Any], at: float | None) -> None:
        self.reasons[self.exp] = str(e.get("reason") or "")

    def _on_spend(self, e: dict[str, Any], at: float | None) -> None:
        roles = e.get("by_role") or {}
        self.spend = {role: {"usd": float(v.get("usd") or 0.0), "tokens": float(v.get("tokens") or 0)}
                      for role, v in roles.items() if isinstance(v, dict)}

    def _on_pause(self, e: dict[str, Any], at: float | None) -> None:
        self.notice = describe({**e, "exp": None}) or ""

    def _on_resume(self, e: dict[str, Any], at: float | None) -> None:
        self.notice = ""

    def _on_budget_warning(self, e: dict[str, Any], at: float | None) -> None:
        self.notice = describe(e) or ""

    _on_disk_pruned = _on_budget_warning
    _on_tamper = _on_budget_warning
    _on_warning = _on_budget_warning

    def _add_spend(self, role: str, usd: Any, tokens: Any) -> None:
        entry = self.spend.setdefault(role, {"usd": 0.0, "tokens": 0.0})
        entry["usd"] += float(usd or 0.0)
        entry["tokens"] += float(tokens or 0)

    def row(self, row: Any) -> None:
        """A results.tsv row was written."""
        if row.status == "stop":
            return
        if row.status in ("baseline", "keep"):
            self.incumbent = {"exp": row.exp, "commit": row.commit, "train": row.train_score,
                              "se": row.train_se, "heldout": row.heldout_score}
            if row.train_score is not None:
                self.best.append(row.train_score)
        else:
            self.experiments_done = max(self.experiments_done, row.exp)
        text = describe_row(row) if row.status == "baseline" else row.description
        self.decisions.append(Decision(row.exp, row.status, row.delta, text or "", self.reasons.get(row.exp, "")))

    def trial_started(self) -> None:
        if self.batch is not None and self.batch.active:
            self.batch.running += 1

    def trial_finished(self, status: str, usage: dict[str, Any] | None) -> None:
        usage = usage or {}
        tokens = sum(int(usage.get(k) or 0) for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens",
                                                        "output_tokens"))
        self._add_spend("task", usage.get("cost_usd"), tokens)
        if self.batch is None or not self.batch.active:
            return
        self.batch.running = max(self.batch.running - 1, 0)
        self.batch.done += 1
        self.batch.errors += status != "ok"
        self.batch.infra += status == "infra_error"

    # ----- questions ----------------------------------------------------------------------------
    def elapsed(self, now: float) -> float:
        return self.elapsed_before + (now - self.started_at if self.started_at is not None else 0.0)

    def spent(self) -> float:
        return sum(v["usd"] for v in self.spend.values())

    def stage_eta(self, now: float) -> float | None:
        """Seconds left in the current stage, when there is a basis for a guess."""
        if self.batch is not None and self.batch.active:
            return self.batch.eta(now)
        if self.proposal_started is not None and self.proposal_seconds:
            typical = sorted(self.proposal_seconds)[len(self.proposal_seconds) // 2]
            return max(typical - (now - self.proposal_started), 0.0)
        return None

    def climb_eta(self, now: float) -> tuple[float, str] | None:
        """Seconds until the first limit is reached, and which; None without limits or a basis."""
        elapsed, found = self.elapsed(now), []
        if self.limits.get("hours") is not None:
            found.append((self.limits["hours"] * 3600 - elapsed, f"time limit of {self.limits['hours']:g} h"))
        per_exp = self._seconds_per_experiment(now)
        left = (self.limits.get("max_experiments") or 0) - self.experiments_done
        if self.limits.get("max_experiments") is not None and per_exp:
            found.append((left * per_exp, f"{self.limits['max_experiments']} experiments"))
        budget, spent = self.limits.get("budget_usd"), self.spent()
        if budget and spent > 0 and elapsed > 0:
            found.append(((budget - spent) / (spent / elapsed), f"budget of ${budget:g}"))
        return min(((max(s, 0.0), why) for s, why in found), default=None)

    def _seconds_per_experiment(self, now: float) -> float | None:
        done_here = self.experiments_done - self.done_when_climbing
        if self.climbing_since is None or done_here <= 0:
            return None
        return (now - self.climbing_since) / done_here

    def decision_lines(self, width: int) -> list[str]:
        lines = []
        for d in self.decisions:
            if d.status == "baseline":
                lines.append(d.description)  # "baseline measured: train ..., held-out ..."
                continue
            delta = "" if d.delta is None else f" ({d.delta:+.3f})"
            text = f"exp {d.exp} {d.status}{delta}: {clip_words(d.description, width // 2)}"
            if d.reason:
                text += f" — {clip_words(d.reason, max(width - len(text) - 3, 30))}"
            lines.append(text)
        return lines

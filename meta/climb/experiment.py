"""One experiment of a climb, as a sequence of steps:

propose -> static gate -> smoke -> decide -> anti-overfit gate -> keep or discard

(the tamper audit's flags on the candidate's own trials refuse it after smoke and after decide)

A proposal that left no edit (the meta-agent stopped using its tools, ran out of turns, or its
requests were refused) ends as ``meta_failed`` before any gate.

Each step (steps.py) returns a result; the first that rejects the candidate books the
experiment's one ledger row and ends it. The loop and its bookkeeping stay in loop.py; this
module sees the climb only through ``ClimbHandle``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from meta.climb.handle import ClimbHandle
from meta.climb.state import Version
from meta.climb.steps import (
    Rejection,
    decide,
    keep_or_discard,
    overfit_gate,
    propose,
    smoke,
    static_gate,
    tamper_gate,
)
from meta.ledger.row import ResultRow
from meta.proposer.tools import Proposal


@dataclass
class Experiment:
    """One experiment in progress: where it writes, what it started from, what it cost."""

    climb: ClimbHandle
    exp: int
    incumbent: Version
    started: float = field(default_factory=time.monotonic)
    cost0: float = 0.0
    tokens0: int = 0
    proposal: Proposal | None = None

    @property
    def folder(self) -> Path:
        return self.climb.ctx.run_dir / "experiments" / f"exp-{self.exp:04d}"

    def row(self, status: str, commit: str = "", **fields) -> ResultRow:
        """This experiment's ledger row, with what it cost so far. Only a keep has a held-out
        score: the incumbent did not change otherwise (an empty cell, not a repeated number)."""
        cost, tokens = self.climb.spend()
        heldout = self.climb.state.incumbent.heldout_score if status == "keep" else None
        return ResultRow(exp=self.exp, commit=commit, status=status, cost_usd=round(cost - self.cost0, 6),
                         tokens=tokens - self.tokens0, minutes=round((time.monotonic() - self.started) / 60, 2),
                         heldout_score=heldout,
                         description=self.proposal.description if self.proposal else "", **fields)

    def reject(self, rejection: Rejection, commit: str = "") -> None:
        """Back to the incumbent, and book the rejection."""
        self.climb.ctx.workspace.reset(self.incumbent.commit)
        self.climb.write_row(self.row(rejection.status, commit))


async def run_experiment(climb: ClimbHandle, exp: int) -> None:
    """Propose, gate, decide, guard against overfitting; keep or revert; one ledger row."""
    incumbent = climb.state.incumbent
    assert incumbent is not None and climb.state.record is not None
    cost0, tokens0 = climb.spend()
    run = Experiment(climb, exp, incumbent, cost0=cost0, tokens0=tokens0)
    climb.ctx.workspace.reset(incumbent.commit)
    run.proposal = await propose(climb, exp, run.folder)
    diff = climb.ctx.workspace.diff(incumbent.commit)
    run.folder.mkdir(parents=True, exist_ok=True)
    (run.folder / "diff.patch").write_text(diff)

    if not run.proposal.finished and not diff.strip():
        # Nothing to gate: the meta-agent itself failed (its description says how, once).
        return run.reject(Rejection("meta_failed", run.proposal.description))
    rejection = await static_gate(climb, exp, diff, run.proposal)
    if rejection:
        return run.reject(rejection)
    commit = climb.ctx.workspace.commit(f"exp {exp}: {run.proposal.description}")
    candidate = climb.ctx.snapshot(commit)
    rejection = await smoke(climb, exp, candidate, run.proposal) or tamper_gate(climb, exp, after="smoke")
    if rejection:
        return run.reject(rejection, commit)
    decision = await decide(climb, exp, candidate, run.proposal, run.folder)
    tampering = tamper_gate(climb, exp, after="decision")
    would_keep = decision.verdict == "keep" and tampering is None
    verdict = await overfit_gate(climb, exp, decision, diff, run.proposal) if would_keep else None
    status = await keep_or_discard(climb, exp, candidate, decision, verdict, tampering)
    climb.write_row(run.row(status.status, commit, **status.scores))

"""The climb: baseline, then experiments (propose -> gates -> decide -> anti-overfit -> keep or
discard) until a stop condition, then a final head-to-head on held-out."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

from meta.climb.config import ClimbConfig
from meta.climb.disk import check_room_for_baseline, disk_full_cause, disk_full_error, room_after_pruning
from meta.climb.errors import DiskFullError
from meta.climb.setup import ClimbContext
from meta.climb.state import ClimbState, Version
from meta.decide.rule import honest_score
from meta.decide.records import IncumbentRecord
from meta.decide.summary import passed, suite_se, task_means
from meta.climb.evaluation import InfraBatchError, mean_of_task_means, per_task_scores
from meta.climb.experiment import run_experiment
from meta.climb.handle import ClimbStop
from meta.climb.final import final_confirmation
from meta.ledger.spend import spend_by_role
from meta.ledger.store import ResultRow
from meta.gates.static import task_model
from sandbox.environment import InfraError
from models import ModelAuthError, ModelConfigError, ModelUnavailableError


class Climb:
    """One climb, started fresh or resumed from its run folder."""

    Stop = ClimbStop

    def __init__(self, ctx: ClimbContext):
        self.ctx = ctx
        self.config: ClimbConfig = ctx.config
        self.state: ClimbState = ctx.state
        self.rng = random.Random(self.config.seed * 7919 + self.state.exp)
        self.stop_requested: str | None = None
        self.meta_failures = 0
        self._started = time.monotonic()
        self._elapsed_base = self.state.elapsed_sec
        self.flush_pending_row()

    # ----- bookkeeping -------------------------------------------------------------------------
    def event(self, kind: str, exp: int | None = None, **data) -> None:
        self.ctx.event(kind, exp=exp, **data)

    def elapsed(self) -> float:
        return self._elapsed_base + time.monotonic() - self._started

    def save(self) -> None:
        self.state.elapsed_sec = self.elapsed()
        self.state.usage = self.ctx.tracker.to_json()
        self.ctx.ledger.save_state(self.state.to_json())

    def spend(self) -> tuple[float, int]:
        total = self.ctx.tracker.total()
        usage = total.usage
        return total.cost_usd, usage.prompt_tokens + usage.output_tokens

    # ----- the loop ----------------------------------------------------------------------------
    async def run(self) -> ClimbState:
        """Run to the end; safe to call again on a resumed state.

        Raises:
            DiskFullError: The disk filled up (or was too full for a baseline): the climb
                stopped where it was, state.json as its last safe point left it; resumable.
            InternalError: A trial met a bug of our own machinery.
        """
        try:
            return await self._run()
        except Exception as exc:
            cause = None if isinstance(exc, DiskFullError) else disk_full_cause(exc)
            if cause is None:
                raise
            # Nothing more is written: an event or a state saved now could fail half-way too.
            raise disk_full_error(cause, self.ctx.run_dir) from exc

    async def _run(self) -> ClimbState:
        self.announce()
        if self.state.phase in ("final", "done"):
            self.reopen_if_room_left()
        try:
            if self.state.phase == "baseline":
                check_room_for_baseline(self.ctx, self.config.min_free_gb)
                await self.resilient("baseline", self.baseline)
            while self.state.phase == "climbing":
                reason = self.should_stop()
                if reason:
                    self.state.stop_reason = reason
                    self.state.phase = "final"
                    self.save()
                    break
                await run_experiment(self, self.state.exp + 1)
        except ClimbStop as stop:
            self.state.stop_reason = str(stop)
            self.state.phase = "final"
            self.save()
        if self.state.phase == "final":
            await self.finish()
        return self.state

    def announce(self) -> None:
        """What this process starts from: the limits, the time already spent, how far it got
        (the dashboard's clock and ETAs start here)."""
        stop = self.config.stop
        self.event("climb_start", exp=self.state.exp, run_id=self.state.run_id, phase=self.state.phase,
                   resumed=self.state.phase != "baseline" or self.state.elapsed_sec > 0,
                   elapsed_sec=round(self.state.elapsed_sec, 1), hours=stop.hours,
                   max_experiments=stop.max_experiments, budget_usd=stop.budget_usd, plateau=stop.plateau,
                   train=len(self.ctx.train), heldout=len(self.ctx.heldout), meta_model=self.config.meta_model)
        if (self.ctx.run_dir / "STOP").exists():
            self.event("warning", exp=self.state.exp, message=f"a STOP file is in the run folder: {self.stop_file()}")

    def reopen_if_room_left(self) -> None:
        """A stopped climb, resumed with room left (it was interrupted, or is given new limits),
        climbs on; its final confirmation is redone at the new end. One that stopped before its
        baseline was measured (a failed build, bad credentials) measures it now: the limits on
        experiments do not apply to it."""
        measured = self.state.baseline is not None
        if self.should_stop(experiments=measured) is not None:
            return
        self.event("reopen", exp=self.state.exp, previous_stop=self.state.stop_reason)
        self.state.phase = "climbing" if measured else "baseline"
        self.state.stop_reason, self.state.final = None, None
        self.save()

    def should_stop(self, experiments: bool = True) -> str | None:
        """Why the climb should end at this safe point, or None. ``experiments``: whether the
        limits counted in experiments (``max_experiments``, ``plateau``) apply."""
        stop = self.config.stop
        cost, _ = self.spend()
        self.warn_budget(cost)
        if self.stop_requested:
            return self.stop_requested
        if (self.ctx.run_dir / "STOP").exists():
            return self.stop_file()
        if stop.hours is not None and self.elapsed() >= stop.hours * 3600:
            return f"time budget of {stop.hours:g} h used"
        if experiments and stop.max_experiments is not None and self.state.exp >= stop.max_experiments:
            return f"{stop.max_experiments} experiments done"
        if stop.budget_usd is not None and cost >= stop.budget_usd:
            return f"budget of ${stop.budget_usd:g} spent (${cost:.2f})"
        if experiments and stop.plateau is not None and self.state.exp - self.state.last_keep_exp >= stop.plateau:
            return f"plateau: no keep in {stop.plateau} experiments"
        if not self.disk_ok():
            return "disk space low even after pruning"
        return None

    def warn_budget(self, cost: float) -> None:
        budget = self.config.stop.budget_usd
        if not budget:
            return
        for level in (0.5, 0.8):
            if cost >= level * budget and level not in self.state.budget_warnings:
                self.state.budget_warnings.append(level)
                self.event("budget_warning", level=level, spent_usd=round(cost, 4), budget_usd=budget)

    def stop_file(self) -> str:
        """The stop reason of a STOP file, saying how to go on (a resume finds it too)."""
        run_dir = self.ctx.run_dir
        return f"stop file ({run_dir / 'STOP'}; to climb on, remove it and run climb run --resume {run_dir})"

    def disk_ok(self) -> bool:
        return room_after_pruning(self.ctx, self.config.min_free_gb)

    async def resilient(self, what: str, step, exp: int | None = None, before_retry=None):
        """Run step; on an outage or an infra-dominated batch, pause with backoff and retry it.

        Nothing is booked for the failed attempt. What waiting cannot cure stops the climb at
        this safe point: each error says so where it is raised (``retryable``), e.g. bad
        credentials, a model that cannot be built, a jail that cannot start, a failed build.
        A full disk and a bug of our own are not caught here: they stop the climb at once.
        """
        delay, paused_since = self.config.pause_initial_sec, None
        while True:
            try:
                result = await step()
                if paused_since is not None:
                    self.event("resume", exp=exp, what=what, paused_sec=round(time.monotonic() - paused_since, 1))
                return result
            except (ModelAuthError, ModelConfigError) as exc:
                raise ClimbStop(f"model configuration: {exc}") from exc
            except (ModelUnavailableError, InfraBatchError, InfraError) as exc:
                if not exc.retryable:
                    raise ClimbStop(f"trials cannot run and waiting will not help: {exc}") from exc
                paused_since = paused_since or time.monotonic()
                if time.monotonic() - paused_since > self.config.max_pause_hours * 3600:
                    raise ClimbStop(f"outage longer than {self.config.max_pause_hours:g} h: {exc}") from exc
                self.event("pause", exp=exp, what=what, cause=f"{type(exc).__name__}: {exc}"[:500],
                           retry_in_sec=delay)
                await self.sleep(delay)
                delay = min(delay * 2, self.config.pause_max_sec)
                self.ctx.evaluator.trials.forget_failures()
                if before_retry:
                    before_retry()

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake early for a stop request (signal or stop file)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.stop_requested or (self.ctx.run_dir / "STOP").exists():
                raise ClimbStop(self.stop_requested or self.stop_file())
            await asyncio.sleep(min(1.0, end - time.monotonic()))

    # ----- baseline ----------------------------------------------------------------------------
    async def baseline(self) -> None:
        ctx, cfg = self.ctx, self.config
        commit = ctx.workspace.head()
        version = ctx.snapshot(commit)
        agent = ctx.evaluator.agent(Path(version.agent_file), "incumbent")
        self.event("baseline_start", exp=0, commit=commit, train=len(ctx.train), heldout=len(ctx.heldout))
        started, (cost0, tokens0) = time.monotonic(), self.spend()
        train = await ctx.evaluator.run([(agent, t, cfg.baseline_repeats, "incumbent") for t in ctx.train],
                                        ctx.run_dir / "baseline", exp=0, stage="baseline")
        per_task = per_task_scores(train)
        self.event("baseline_done", exp=0, train_means=task_means(per_task),
                   task_model=task_model(cfg.task_model, Path(version.agent_file).read_text()))
        record = IncumbentRecord(per_task)
        version.train_score = honest_score(record)
        version.train_se = suite_se(per_task)
        version.heldout_score = await self.heldout(version, exp=0)
        self.state.baseline = Version(**vars(version))
        self.state.incumbent, self.state.record = version, record
        self.state.phase = "climbing"  # saved with the row: a booked baseline is never measured again
        cost, tokens = self.spend()
        self.write_row(ResultRow(exp=0, commit=commit, status="baseline", train_score=version.train_score,
                                 train_se=version.train_se, heldout_score=version.heldout_score,
                                 passed=passed(per_task), cost_usd=round(cost - cost0, 6),
                                 tokens=tokens - tokens0, minutes=round((time.monotonic() - started) / 60, 2),
                                 description="baseline"))

    async def heldout(self, version: Version, exp: int) -> float | None:
        """The held-out aggregate of a version (only the aggregate is ever logged)."""
        if not self.ctx.heldout:
            return None
        agent = self.ctx.evaluator.agent(Path(version.agent_file), "incumbent")
        results = await self.ctx.evaluator.run(
            [(agent, t, self.config.heldout_repeats, "heldout") for t in self.ctx.heldout],
            self.ctx.run_dir / "heldout" / f"exp-{exp:04d}", exp=exp, stage="heldout")
        score = mean_of_task_means(per_task_scores(results))
        self.event("heldout", exp=exp, commit=version.commit, score=score,
                   trials=sum(r.score is not None for r in results))
        return score

    def write_row(self, row: ResultRow) -> None:
        """Decide the row in state.json first, then append it: a crash in between loses nothing."""
        if row.status != "stop":
            self.state.exp = row.exp
        self.state.pending_row = row.model_dump(mode="json")
        self.save()
        self.flush_pending_row()
        self.event("spend", exp=row.exp, total_usd=round(self.ctx.tracker.cost_usd, 6),
                   by_role=spend_by_role(self.ctx.tracker.by_role()))
        if self.ctx.view:
            self.ctx.view.on_row(row)

    def flush_pending_row(self) -> None:
        if self.state.pending_row is None:
            return
        row = ResultRow(**self.state.pending_row)
        ledger = self.ctx.ledger
        if row.status == "stop":  # the same stop, repaired after a crash, is not booked twice; a new one is
            if not any(r.status == "stop" and (r.exp, r.description) == (row.exp, row.description)
                       for r in ledger.rows()):
                ledger.append_row(row)
        elif not ledger.has_row(row.exp):
            ledger.append_row(row)
        self.state.pending_row = None
        self.save()

    async def finish(self) -> None:
        """Final confirmation head to head on held-out (and train), the stop row, the table."""
        reason = self.state.stop_reason or "stopped"
        if self.state.final is None:
            self.state.final = await final_confirmation(self)
            self.save()
        incumbent = self.state.incumbent
        self.write_row(ResultRow(exp=self.state.exp, commit=incumbent.commit if incumbent else "", status="stop",
                                 heldout_score=incumbent.heldout_score if incumbent else None,
                                 train_score=incumbent.train_score if incumbent else None, description=reason))
        self.event("stop", exp=self.state.exp, reason=reason, final=self.state.final)
        self.state.phase = "done"
        self.save()

"""`climb pairings`: one climb per (meta model, task model, seed) cell, all at once, resumable.

Layout of a pairings folder::

    pairings_state.json   the config, each cell's run id, transfer results (resume reads it)
    pairings.json         the matrix, rewritten whenever a cell finishes
    cells/<meta>__<task>__s<seed>/   one climb run folder per cell (its own worktree branch)
    transfer/<cell>/<task model>/    a cell's final agent.py run on held-out with another task model
    report.html           the HTML report (matrix section + one chart per cell)

Every cell shares one semaphore, so ``concurrency`` bounds the trials of the
whole study. A cell is finished when its own ``state.json`` says ``done``;
resume re-enters the others with ``resume=True`` and skips the finished ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from durable import write_json_atomic
from meta.climb.loop import Climb
from meta.climb.setup import ClimbView, SetupError, build_context
from meta.climb.state import ClimbState
from meta.climb.evaluation import SandboxTrials, mean_of_task_means, per_task_scores
from meta.pairings.config import Cell, PairingsConfig, model_labels
from meta.climb.split import split_tasks
from meta.workspace.worktree import Workspace, WorkspaceError
from sandbox.images import ImageCache
from sandbox.pool import SuiteObserver, TrialRequest
from sandbox.results import TrialStatus
from sandbox.task import discover
from task_agent.host import HarnessAgent, ModelSettings
from models import PriceTable, RetryPolicy, UsageTracker

STATE_FILE = "pairings_state.json"
RESULT_FILE = "pairings.json"
STATE_VERSION = 1
log = logging.getLogger(__name__)


@dataclass
class PairingsRun:
    """A pairings folder: its config, the run id of each cell, and finished transfer runs."""

    out: Path
    config: PairingsConfig
    run_id: str
    cell_ids: dict[str, str] = field(default_factory=dict)
    transfer: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``"<cell>|<task label>"`` -> score, trials, infra, folder (only runs that produced a score)."""
    errors: dict[str, str] = field(default_factory=dict)
    """What failed in the last process, by cell (cleared when the cell or transfer succeeds)."""

    @classmethod
    def create(cls, config: PairingsConfig, out: Path, run_id: str) -> PairingsRun:
        out = Path(out).resolve()
        if (out / STATE_FILE).exists():
            raise SetupError(f"{out} already holds a pairings run; use --resume {out}")
        cells = config.cells()
        run = cls(out, config, run_id, {c.name: f"{run_id}-c{i:02d}" for i, c in enumerate(cells)})
        run.save()
        return run

    @classmethod
    def open(cls, out: Path) -> PairingsRun:
        out = Path(out).resolve()
        path = out / STATE_FILE
        if not path.is_file():
            raise SetupError(f"{out} is not a pairings folder (no {STATE_FILE})")
        data = json.loads(path.read_text())
        if data.get("version") != STATE_VERSION:
            raise SetupError(f"{path} has version {data.get('version')}; this climb reads {STATE_VERSION}")
        return cls(out, PairingsConfig.model_validate(data["config"]), data["run_id"], data["cells"],
                   data.get("transfer", {}), data.get("errors", {}))

    def save(self) -> None:
        write_json_atomic(self.out / STATE_FILE, {
            "version": STATE_VERSION, "run_id": self.run_id, "config": self.config.model_dump(mode="json"),
            "cells": self.cell_ids, "transfer": self.transfer, "errors": self.errors})

    def restart_cell(self, cell: Cell) -> None:
        """Set aside a cell killed while it was being set up (a folder, perhaps a worktree, no state).

        Nothing was decided in it, but its branch exists, so it starts again under a new run id.
        """
        folder = self.cell_dir(cell)
        try:
            Workspace.open(folder / "workspace").remove()
        except WorkspaceError:
            pass  # killed before the worktree was made, or while git was making it
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder.rename(folder.with_name(f".aborted-{cell.name}-{stamp}"))
        self.cell_ids[cell.name] = f"{self.run_id}-c{self.config.cells().index(cell):02d}-{secrets.token_hex(2)}"
        self.save()

    def cell_dir(self, cell: Cell) -> Path:
        return self.out / "cells" / cell.name

    def cell_state(self, cell: Cell) -> ClimbState | None:
        # Read directly: opening a Ledger would trim the tail of a file another process may be writing.
        path = self.cell_dir(cell) / "state.json"
        return ClimbState.from_json(json.loads(path.read_text())) if path.is_file() else None

    def finished(self, cell: Cell) -> bool:
        state = self.cell_state(cell)
        return state is not None and state.phase == "done"

    @property
    def transfer_run_id(self) -> str:
        return f"{self.run_id}-transfer"

    def transfer_key(self, cell: Cell, task_model: str) -> str:
        return f"{cell.name}|{self.labels[task_model]}"

    @property
    def labels(self) -> dict[str, str]:
        return model_labels([*self.config.meta_models, *self.config.task_models])


async def run_pairings(run: PairingsRun, *, views: Callable[[Cell], ClimbView | None] | None = None,
                       observer: SuiteObserver | None = None, retry: RetryPolicy | None = None,
                       on_cell_done: Callable[[Cell], None] | None = None) -> dict[str, str]:
    """Run (or resume) every unfinished cell concurrently, then its transfer runs.

    A cell that fails is recorded in ``run.errors`` and does not stop the others;
    cancellation (Ctrl-C, kill) saves every climb's state for a later resume.

    Returns:
        The errors of this attempt, by cell name (empty when everything finished).
    """
    semaphore = asyncio.Semaphore(run.config.concurrency)
    climbs: dict[str, Climb] = {}
    images = None
    for cell in run.config.cells():
        if run.finished(cell):
            continue
        cell_dir = run.cell_dir(cell)
        resume = (cell_dir / "state.json").exists()
        if not resume and cell_dir.exists():
            run.restart_cell(cell)
            cell_dir = run.cell_dir(cell)
        ctx = build_context(run.config.cell_config(cell), cell_dir, run.cell_ids[cell.name], resume=resume,
                            retry=retry, view=views(cell) if views else None, observer=observer,
                            semaphore=semaphore, images=images)
        if images is None and isinstance(ctx.evaluator.trials, SandboxTrials):
            images = ctx.evaluator.trials.runner.images
        climbs[cell.name] = Climb(ctx)
    transfer = _Transfer(run, semaphore, observer, retry, images)
    run.errors = {}

    async def one(cell: Cell) -> None:
        climb = climbs.get(cell.name)
        try:
            if climb is not None:
                await climb.run()
            await transfer.run_cell(cell)
        except asyncio.CancelledError:
            if climb is not None:
                climb.save()
            raise
        except Exception as exc:  # one broken cell must not end the study: resume retries it
            log.exception("pairings cell %s failed", cell.name)
            run.errors[cell.name] = f"{type(exc).__name__}: {exc}"[:1000]
        run.save()
        if on_cell_done:
            on_cell_done(cell)

    try:
        async with asyncio.TaskGroup() as group:
            for cell in run.config.cells():
                group.create_task(one(cell))
    finally:
        run.save()
    return dict(run.errors)


class _Transfer:
    """Runs finished cells' final agents on held-out with the other task models."""

    def __init__(self, run: PairingsRun, semaphore: asyncio.Semaphore, observer: SuiteObserver | None,
                 retry: RetryPolicy | None, images: ImageCache | None):
        self.run, self.semaphore, self.observer, self.retry, self.images = run, semaphore, observer, retry, images
        climb = run.config.climb
        self.prices = PriceTable.load(climb.prices) if climb.prices else None
        self._lock = asyncio.Lock()
        self._trials: SandboxTrials | None = None
        self._tasks: dict[str, Any] | None = None
        self._heldout: list[str] = []

    def _setup(self) -> None:
        climb = self.run.config.climb
        trials = SandboxTrials.open(climb.env, self.run.transfer_run_id, climb.trial, self.run.config.concurrency,
                                    semaphore=self.semaphore, observer=self.observer, images=self.images)
        trials.sweep()  # orphans of a killed earlier attempt
        found = discover(*climb.tasks)
        refused = trials.unsupported(found.tasks)  # as each cell's climb split them: over what the engine runs
        self._tasks = {t.id: t for t in found.tasks if t.id not in refused}
        self._heldout = split_tasks(list(self._tasks), climb.split)[1]
        self._trials = trials

    async def run_cell(self, cell: Cell) -> None:
        config = self.run.config
        if config.transfer_repeats < 1:
            return
        others = [m for m in config.task_models if m != cell.task
                  and self.run.transfer_key(cell, m) not in self.run.transfer]
        if not others:
            return
        state = self.run.cell_state(cell)
        if state is None or state.phase != "done" or state.incumbent is None:
            return
        async with self._lock:  # cells finish concurrently; set up (and sweep) once
            if self._trials is None:
                await asyncio.to_thread(self._setup)
        if not self._heldout:
            return
        await asyncio.gather(*(self._one(cell, Path(state.incumbent.agent_file), m) for m in others))

    async def _one(self, cell: Cell, agent_file: Path, task_model: str) -> None:
        climb, key = self.run.config.climb, self.run.transfer_key(cell, task_model)
        tracker = UsageTracker()
        models = ModelSettings(task_model=task_model, base_url=climb.base_url, prices=self.prices, retry=self.retry,
                               tracker=tracker)
        agent = HarnessAgent(agent_file, models, climb.jail, label="transfer")
        requests = [TrialRequest(self._tasks[t], rep, agent, "transfer")
                    for t in self._heldout for rep in range(self.run.config.transfer_repeats)]
        folder = self.run.out / "transfer" / cell.name / self.run.labels[task_model]
        assert self._trials is not None  # set up by run_cell
        results = await self._trials.run(requests, folder)
        infra = sum(r.status == TrialStatus.INFRA_ERROR for r in results)
        if infra > climb.infra_pause_fraction * len(results):
            self.run.errors[key] = f"transfer: {infra} of {len(results)} trials failed on infrastructure"
            return
        self.run.transfer[key] = {
            "cell": cell.name, "task_model": task_model, "agent_file": str(agent_file),
            "score": mean_of_task_means(per_task_scores(results)), "trials": len(results),
            "infra": infra, "cost_usd": round(tracker.cost_usd, 6),
            "tokens": tracker.total().usage.prompt_tokens + tracker.total().usage.output_tokens,
            "folder": str(folder.relative_to(self.run.out))}
        self.run.save()

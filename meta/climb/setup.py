"""Everything a climb stands on, built once per process: tasks, split, workspace, ledger,
evaluator, models, and what the meta-agent may read. Fresh start or resume."""

from __future__ import annotations

import asyncio
import functools
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import docker

from durable import write_atomic
from meta.climb.config import ClimbConfig
from meta.climb.errors import SetupError
from meta.climb.state import ClimbState, Version
from meta.decide.records import IncumbentRecord
from meta.climb.evaluation import Evaluator, SandboxTrials, TrialBatches
from meta.ledger.store import Ledger
from meta.proposer.reach import Reach, TrialIndex
from meta.climb.split import split_tasks
from meta.workspace.worktree import Workspace
from sandbox.images import ImageCache
from sandbox.pool import SuiteObserver
from sandbox.task import Task, discover
from task_agent.host import ModelSettings
from meta.climb.preflight import callable_models, start_warnings
from models import ModelClient, PriceTable, RetryPolicy, UsageTracker, create_model


class ClimbView(Protocol):
    """The live dashboard (or nothing): told about every event and row, and about nothing
    else, so what it shows can be replayed from the ledger."""

    def on_event(self, event: dict[str, Any]) -> None: ...

    def on_row(self, row: Any) -> None: ...


@dataclass
class ClimbContext:
    config: ClimbConfig
    run_dir: Path
    state: ClimbState
    ledger: Ledger
    workspace: Workspace
    tasks: dict[str, Task]
    train: list[str]
    heldout: list[str]
    evaluator: Evaluator
    tracker: UsageTracker
    program: str
    retry: RetryPolicy | None = None
    view: ClimbView | None = None
    client: docker.DockerClient | None = None
    warnings: list[str] = field(default_factory=list)
    _judge: ModelClient | None = field(default=None, repr=False)

    def event(self, kind: str, exp: int | None = None, **data: Any) -> dict[str, Any]:
        """Append one event to events.jsonl and tell the view."""
        event = self.ledger.append_event(kind, exp=exp, **data)
        if self.view:
            self.view.on_event(event)
        return event

    @property
    def all_tasks(self) -> list[Task]:
        return list(self.tasks.values())

    @property
    def reach(self) -> Reach:
        denied = [self.workspace.path / ".git"]
        repo = self.config.repo.resolve()
        # Whole benchmark folders, not just task folders: an index like tasks/README.md
        # would name the held-out tasks and say what their verifiers check.
        for path in [*self.config.tasks, *(task.path for task in self.tasks.values())]:
            try:
                denied.append(self.workspace.path / Path(path).resolve().relative_to(repo))
            except ValueError:
                pass  # outside the repo, so outside the workspace too
        return Reach(self.workspace.path, [self.run_dir / "baseline", self.run_dir / "experiments"], denied)

    @property
    def trial_index(self) -> TrialIndex:
        return TrialIndex([self.run_dir / "baseline", self.run_dir / "experiments"], set(self.train))

    def snapshot(self, commit: str) -> Version:
        """Copy agent.py at its current workspace state to agents/<commit>.py (trials run from it)."""
        target = self.run_dir / "agents" / f"{commit}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.workspace.agent_source())
        return Version(commit=commit, agent_file=str(target))

    def judge_model(self) -> ModelClient:
        if self._judge is None:
            self._judge = create_model(self.config.judge, role="judge", tracker=self.tracker,
                                       base_url=self.config.meta_url, retry=self.retry,
                                       prices=self.evaluator.models.prices)
        return self._judge

    def train_means(self, record: IncumbentRecord | None) -> dict[str, float]:
        per_task = record.per_task if record else {}
        return {t: (sum(per_task[t]) / len(per_task[t]) if per_task.get(t) else 0.0) for t in self.train}

    @functools.cached_property
    def docker_root(self) -> Path | None:
        """Docker's data root, if the daemon runs on this machine (else None)."""
        try:
            root = Path((self.client.info() if self.client else {}).get("DockerRootDir") or "")
        except (docker.errors.DockerException, OSError):
            return None
        return root if str(root) not in ("", ".") and root.is_dir() else None

    def prune_old_trials(self, keep_last: int = 3) -> int:
        """Free disk: bulky trial files of old experiments, then dangling images. Bytes freed."""
        freed = prune_trial_files(self.run_dir, keep_last)
        if self.client is not None:
            try:
                freed += self.client.api.prune_images(filters={"dangling": True}).get("SpaceReclaimed", 0)
            except docker.errors.APIError:
                pass
        return freed


def prune_trial_files(run_dir: Path, keep_last: int) -> int:
    """Delete agent stdout/stderr and artifacts of all but the last experiments.

    Results, trajectories and verifier output stay: the ledger, the report and the
    meta-agent still need them.
    """
    freed = 0
    experiments = sorted(p for p in (run_dir / "experiments").glob("exp-*") if p.is_dir())
    for exp_dir in experiments[:-keep_last] if keep_last else experiments:
        for path in list(exp_dir.rglob("*")):
            bulky = path.name in ("agent-stdout.txt", "agent-stderr.txt") or "artifacts" in path.parts
            if bulky and path.is_file() and not path.is_symlink():
                freed += path.stat().st_size
                path.unlink()
    return freed


def load_tasks(config: ClimbConfig, ledger: Ledger) -> dict[str, Task]:
    found = discover(*config.tasks)
    for error in found.errors:
        ledger.append_event("task_error", error=str(error))
    if not found.tasks:
        raise SetupError(f"no runnable tasks under {[str(p) for p in config.tasks]}: "
                         + "; ".join(str(e) for e in found.errors[:5]))
    return {task.id: task for task in found.tasks}


def drop_unsupported(config: ClimbConfig, tasks: dict[str, Task], ledger: Ledger,
                     trials: TrialBatches) -> dict[str, Task]:
    """The tasks the trials' engine can run (``--env``); each one it cannot is a ledger event
    naming the task and the engine, and the others go on."""
    refused = trials.unsupported(list(tasks.values()))
    for message in refused.values():
        ledger.append_event("task_error", error=message)
    kept = {task_id: task for task_id, task in tasks.items() if task_id not in refused}
    if not kept:
        raise SetupError(f"no task under {[str(p) for p in config.tasks]} can run on {config.env.name}: "
                         + "; ".join(list(refused.values())[:5]))
    return kept


def _split(config: ClimbConfig, tasks: dict[str, Task]) -> tuple[list[str], list[str]]:
    try:
        return split_tasks(list(tasks), config.split)
    except ValueError as exc:
        raise SetupError(f"train/held-out split: {exc}") from exc


def build_context(config: ClimbConfig, run_dir: Path, run_id: str, *, resume: bool,
                  retry: RetryPolicy | None = None, view: ClimbView | None = None,
                  observer: SuiteObserver | None = None,
                  semaphore: asyncio.Semaphore | None = None,
                  images: ImageCache | None = None,
                  trials: TrialBatches | None = None) -> ClimbContext:
    """Set up a fresh climb in run_dir, or reopen one (sweeping its orphaned containers).

    ``semaphore`` lets several climbs (pairings) share one concurrency budget; by
    default the climb gets its own of ``config.concurrency``. ``images`` shares one
    image cache, so cells do not build the same image at once. ``trials`` runs the
    trials somewhere else than the sandbox on ``config.env`` (then Docker is not connected
    to, and ``observer``, ``semaphore`` and ``images`` are not used).
    """
    run_dir = run_dir.resolve()
    ledger = Ledger(run_dir)
    if not resume and (run_dir / "state.json").exists():
        raise SetupError(f"{run_dir} already holds a climb; use --resume {run_dir}")
    # Everything that can be wrong with the input is checked before a worktree exists.
    tasks = load_tasks(config, ledger)
    train, heldout = _split(config, tasks)
    prices = PriceTable.load(config.prices) if config.prices else PriceTable()
    client = None
    if trials is None:
        sandbox = SandboxTrials.open(config.env, run_id, config.trial, config.concurrency, semaphore=semaphore,
                                     observer=observer, images=images)
        client, trials = sandbox.runner.client, sandbox
    supported = drop_unsupported(config, tasks, ledger, trials)
    if len(supported) < len(tasks):  # the split is over the tasks the engine can run
        tasks = supported
        train, heldout = _split(config, tasks)
    if resume:
        state, workspace = _reopen(config, run_dir, ledger, trials)
    else:
        state, workspace = _start(config, run_dir, run_id, ledger)
        ledger.append_event("split", train=train, heldout=heldout, seed=config.split.seed)
    source = workspace.agent_source()
    # Where each model's price comes from (database version, price file, none): the spend
    # figures of this run can be checked against it later.
    ledger.append_event("prices", models={m: prices.source(m) for names in callable_models(config, source).values()
                                          for m in names})
    warnings = small_benchmark_warning(config, len(train)) + start_warnings(config, prices, source)
    for warning in warnings:
        ledger.append_event("warning", message=warning)
    tracker = UsageTracker.from_json(state.usage) if state.usage else UsageTracker()
    models = ModelSettings(task_model=config.task_model, allowed_models=config.allowed_models,
                           base_url=config.base_url, prices=prices, retry=retry, tracker=tracker)
    evaluator = Evaluator(trials, tasks, models, config.jail, ledger, config.infra_pause_fraction)
    program = config.program.read_text() if config.program and config.program.is_file() else ""
    ctx = ClimbContext(config, run_dir, state, ledger, workspace, tasks, train, heldout, evaluator, tracker,
                       program, retry, view, client)
    ctx.warnings = warnings
    evaluator.announce = ctx.event
    return ctx


def _start(config: ClimbConfig, run_dir: Path, run_id: str, ledger: Ledger) -> tuple[ClimbState, Workspace]:
    state = ClimbState(run_id=run_id)
    workspace = Workspace.create(config.repo, run_dir, run_id, agent_path=config.agent_path)
    write_atomic(run_dir / "config.json", config.model_dump_json(indent=2))
    # From here on the run is resumable, even if it dies during its baseline.
    ledger.save_state(state.to_json())
    return state, workspace


def _reopen(config: ClimbConfig, run_dir: Path, ledger: Ledger, trials: TrialBatches) -> tuple[ClimbState, Workspace]:
    saved = ledger.load_state()
    if saved is None:
        raise SetupError(f"{run_dir} has no state.json to resume")
    state = ClimbState.from_json(saved)
    removed = trials.sweep()
    workspace = Workspace.open(run_dir / "workspace", agent_path=config.agent_path)
    workspace.reset(state.incumbent.commit if state.incumbent else workspace.head())
    _set_aside_unfinished(run_dir, state.exp)
    ledger.append_event("resume_run", exp=state.exp, orphans_removed=removed, phase=state.phase)
    return state, workspace


def small_benchmark_warning(config: ClimbConfig, train_tasks: int) -> list[str]:
    """The keep test treats tasks as the unit: with very few train tasks even an edit that
    fixes every one of them cannot reach significance. Say so before spending anything."""
    decide = config.decide
    if decide.rule != "staged":
        return []
    best_p = 0.5 ** train_tasks
    level = decide.alpha_spending()[0]  # the first keep look's level (later looks see more repeats, not tasks)
    if best_p <= level:
        return []
    return [(f"only {train_tasks} train tasks: the smallest p-value a paired test over tasks can reach is "
             f"{best_p:.3g}, above its level {level:.3g}, so no edit can be kept except as a simpler equal; "
             "add tasks or lower --heldout-fraction")]


def _set_aside_unfinished(run_dir: Path, last_done: int) -> None:
    """An experiment the dead process did not finish is redone from scratch; keep its files aside."""
    for exp_dir in (run_dir / "experiments").glob("exp-*"):
        try:
            number = int(exp_dir.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if number > last_done:
            shutil.move(str(exp_dir), str(exp_dir.with_name(f"{exp_dir.name}.aborted-{int(time.time())}")))

"""Trials without containers: a simulated ``meta.climb.evaluation.TrialBatches`` for fast climb tests.

Each trial's outcome is computed from the agent file's source and the task, the way
bench/decision_quality.py simulates rewards for the keep rule, and comes back as the
``TrialResult`` the sandbox would write (``result.json`` included, so the meta-agent's trial
tools find it). Everything above the trials is the real climb.

    trials = SimulatedTrials(solves_when(FIX))
    trials.outage(batches=2)            # the next two batches fail on infrastructure
    ctx = build_context(config, run_dir, run_id, resume=False, trials=trials)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from models.messages import Usage
from sandbox.audit import TamperAudit, TamperFlag
from sandbox.environment import ChangeKind
from sandbox.pool import TrialRequest
from sandbox.results import TrialResult, TrialStatus
from sandbox.task import Task
from sandbox.trial import new_trial_id

CRASH_IMPORT = re.compile(r"^import missing_\w+", re.MULTILINE)
"""A candidate importing a module named ``missing_*`` crashes before its first model call."""


@dataclass(frozen=True)
class Outcome:
    """What one simulated trial did."""

    status: TrialStatus = TrialStatus.OK
    reward: float | None = None
    model_calls: int = 2
    error: str | None = None
    error_kind: str | None = None
    retryable: bool | None = None
    tamper: tuple[tuple[str, str, str], ...] = ()
    """(path, change, reason) of each flag the sandbox's tamper audit would raise."""


World = Callable[[str, str], Outcome]
"""(task id, the agent file's source) -> the trial's outcome."""

TAR_WRAPPER = ("/usr/local/bin/tar", "added", "a new command on PATH that shadows /usr/bin/tar")


def tampers_when(marker: str, world: World, tasks: set[str] | None = None) -> World:
    """``world``, except that an agent whose source holds ``marker`` leaves a tar wrapper on PATH
    (on ``tasks`` only, when given), which the tamper audit flags."""

    def tampering(task: str, source: str) -> Outcome:
        outcome = world(task, source)
        if marker in source and (tasks is None or task in tasks):
            return replace(outcome, tamper=(TAR_WRAPPER,))
        return outcome

    return tampering


def solves_when(marker: str) -> World:
    """Every task is solved when ``marker`` is in the agent's source, none otherwise; an agent
    that imports a missing module crashes before its first model call (scored 0)."""

    def world(task: str, source: str) -> Outcome:
        if CRASH_IMPORT.search(source):
            return Outcome(TrialStatus.AGENT_ERROR, 0.0, model_calls=0,
                           error="ModuleNotFoundError: no module named 'missing_helper'", error_kind="agent_crash")
        return Outcome(reward=1.0 if marker in source else 0.0)

    return world


class Killed(BaseException):
    """The process died here (raised where a test kills the climb; no ``except Exception`` stops it)."""


@dataclass
class SimulatedTrials:
    """Runs batches in memory. Implements ``meta.climb.evaluation.TrialBatches``.

    Attributes:
        batches: Every batch run, as (folder, requests), for assertions.
        cost_per_trial: Task-model spend booked per trial (as the host books a real model's).
        kill_in: Die (``Killed``) while running the first batch whose folder ends with this path,
            trials in flight.
    """

    world: World
    run_id: str = "simulated"
    cost_per_trial: float = 0.0
    kill_in: str | None = None
    batches: list[tuple[Path, list[TrialRequest]]] = field(default_factory=list)
    forgotten: int = 0
    _outage: list[tuple[str, bool]] = field(default_factory=list)

    def outage(self, batches: int, kind: str = "docker", *, retryable: bool = True) -> None:
        """The next ``batches`` batches fail on infrastructure (every trial, error kind ``kind``,
        retryable as the error says where it is raised)."""
        self._outage += [(kind, retryable)] * batches

    async def run(self, requests: list[TrialRequest], out_dir: Path) -> list[TrialResult]:
        self.batches.append((out_dir, requests))
        if self.kill_in and out_dir.as_posix().endswith(self.kill_in):
            raise Killed(f"killed while running {out_dir}")
        down = self._outage.pop(0) if self._outage else None
        results = []
        for request in requests:
            trial_id = new_trial_id(request.task, request.repeat)
            trial_dir = out_dir / "trials" / trial_id
            outcome = (Outcome(TrialStatus.INFRA_ERROR, None, 0, f"simulated {down[0]} outage", *down) if down
                       else self.world(request.task.id, Path(request.agent.agent_file).read_text()))
            if outcome.model_calls and self.cost_per_trial:
                request.agent.models.tracker.record(role="task", model="simulated", usage=Usage(1000, 100),
                                                    cost_usd=self.cost_per_trial)
            result = TrialResult(
                run_id=self.run_id, trial_id=trial_id, task=request.task.id, repeat=request.repeat,
                agent=request.agent.name, status=outcome.status, reward=outcome.reward,
                rewards=None if outcome.reward is None else {"reward": outcome.reward},
                error=outcome.error, error_kind=outcome.error_kind, retryable=outcome.retryable,
                tamper=_audit(outcome.tamper), usage={"model_calls": outcome.model_calls}, trial_dir=str(trial_dir))
            trial_dir.mkdir(parents=True)  # result.json as the sandbox writes it (unsynced: nothing here crashes)
            (trial_dir / "result.json").write_text(result.model_dump_json(indent=2))
            results.append(result)
        return results

    def forget_failures(self) -> None:
        self.forgotten += 1

    def sweep(self) -> int:
        return 0  # nothing of a simulated trial outlives it

    def unsupported(self, tasks: list[Task]) -> dict[str, str]:
        return {}  # the simulated engine runs every task


def _audit(flags: tuple[tuple[str, str, str], ...]) -> TamperAudit:
    """The tamper record the sandbox writes: available, with these flags (the changes listed too)."""
    return TamperAudit(available=True, flags=[TamperFlag(path=p, change=ChangeKind(c), reason=r) for p, c, r in flags],
                       changed=[f"{c} {p}" for p, c, _ in flags], changed_total=len(flags))

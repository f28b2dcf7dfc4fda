"""Running the agents of a climb: trial batches, the decide Measure, infra-heavy batches.

Where the trials themselves run is one small seam, ``TrialBatches``: a real climb uses
``SandboxTrials`` (the sandbox's pool, on local Docker or on one of Harbor's environments,
as ``--env`` chose); the fast tests of the climb's state machine use a simulation
(tests/fakes/trials.py), so everything above the trials (the batch events, the infra rule,
the pairing of arms) is the code a real climb runs.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from meta.decide.rule import TrialRequest as ArmRequest
from meta.decide.rule import Measure
from meta.climb.disk import disk_full_error
from meta.climb.errors import InternalError
from meta.climb.tamper import TamperedTrial, tampered_trials
from meta.ledger.store import Ledger
from sandbox.backends import EnvChoice, make_runner, unsupported
from sandbox.docker import LABEL_RUN, sweep
from sandbox.images import ImageCache
from sandbox.pool import SuiteObserver, TrialRequest, run_trials
from sandbox.environment import DISK_FULL_KIND, INTERNAL_KIND
from sandbox.results import TrialResult, TrialStatus
from sandbox.task import Task
from sandbox.trial import TrialConfig, TrialRunner
from task_agent.host import HarnessAgent, ModelSettings
from task_agent.jail import JailConfig


INFRA_EXAMPLE_CHARS = 400
"""How much of one failed trial's error an infra-dominated batch names (the cause, in the pause
or stop reason; every trial's whole error is in its result.json)."""


class TrialBatches(Protocol):
    """Where a climb's trials run."""

    async def run(self, requests: list[TrialRequest], out_dir: Path) -> list[TrialResult]:
        """Every request's result, trials under ``out_dir``; a failed trial is a result, not an exception."""
        ...

    def forget_failures(self) -> None:
        """Forget remembered failures (failed image builds), so a retry after a pause tries again."""
        ...

    def sweep(self) -> int:
        """Remove what a dead process of this run left running (containers); how many."""
        ...

    def unsupported(self, tasks: list[Task]) -> dict[str, str]:
        """The tasks these trials cannot run, by id, each with a message naming task and engine."""
        ...


@dataclass
class SandboxTrials:
    """The sandbox's pool, on local Docker or one of Harbor's environments, all batches
    sharing one concurrency budget."""

    runner: TrialRunner
    semaphore: asyncio.Semaphore
    observer: SuiteObserver | None = None

    @classmethod
    def open(cls, env: EnvChoice, run_id: str, config: TrialConfig, concurrency: int, *,
             semaphore: asyncio.Semaphore | None = None, observer: SuiteObserver | None = None,
             images: ImageCache | None = None) -> SandboxTrials:
        """Trials on ``env`` (``images`` shared with other climbs on local Docker).

        Raises:
            InfraError: Docker unreachable, or the Harbor provider unusable here (named, with the fix).
        """
        runner = make_runner(env, run_id, config, concurrency=concurrency, images=images)
        return cls(runner, semaphore or asyncio.Semaphore(concurrency), observer)

    async def run(self, requests: list[TrialRequest], out_dir: Path) -> list[TrialResult]:
        suite = await run_trials(requests, self.runner, out_dir, semaphore=self.semaphore, observer=self.observer)
        return suite.results

    def forget_failures(self) -> None:
        if self.runner.images is not None:  # another engine builds inside its own start
            self.runner.images.forget_failures()

    def sweep(self) -> int:
        if self.runner.client is None:  # nothing of this run is on local Docker
            return 0
        return len(sweep(self.runner.client, {LABEL_RUN: self.runner.run_id}))

    def unsupported(self, tasks: list[Task]) -> dict[str, str]:
        return unsupported(self.runner, tasks)


class InfraBatchError(Exception):
    """Most trials of a batch failed on infrastructure: re-run later, do not decide on it.

    Attributes:
        kinds: How many trials failed of each error kind.
        retryable: Whether waiting could help: False when every failure said, where it was
            raised, that a retry would meet it again (bad credentials, a missing jail, a failed
            build, an impossible resource request).
    """

    def __init__(self, message: str, kinds: dict[str, int], *, retryable: bool = True):
        super().__init__(message)
        self.kinds = kinds
        self.retryable = retryable


@dataclass
class Evaluator:
    """Runs agent files on tasks for one climb, in batches; books each batch in the ledger."""

    trials: TrialBatches
    tasks: dict[str, Task]
    models: ModelSettings
    jail: JailConfig
    ledger: Ledger
    infra_fraction: float = 0.5
    announce: Callable[..., Any] | None = None
    """Records an event (and tells the dashboard); the ledger alone when None."""
    tampered: dict[int | None, list[TamperedTrial]] = field(default_factory=dict)
    """Trials the tamper audit flagged, by experiment, since this process started (an
    experiment a dead process left unfinished is redone from scratch, trials included)."""

    def _event(self, kind: str, **data: Any) -> None:
        (self.announce or self.ledger.append_event)(kind, **data)

    def agent(self, agent_file: Path, label: str) -> HarnessAgent:
        return HarnessAgent(agent_file, self.models, self.jail, label=label)

    async def run(self, plan: list[tuple[HarnessAgent, str, int, str]], out_dir: Path, *,
                  exp: int | None, stage: str, step: str = "") -> list[TrialResult]:
        """Run (agent, task id, repeats, tag) requests as one batch; raise if infra dominated it.
        ``step`` names the look of a decision (spot, full, ...) in the batch's event."""
        requests = [TrialRequest(self.tasks[task_id], rep, agent, tag)
                    for agent, task_id, repeats, tag in plan for rep in range(repeats)]
        started = time.monotonic()
        self._event("batch_start", exp=exp, stage=stage, **({"step": step} if step else {}), trials=len(requests))
        results = await self.trials.run(requests, out_dir)
        infra = [r for r in results if r.status == TrialStatus.INFRA_ERROR]
        kinds: dict[str, int] = defaultdict(int)
        for result in infra:
            kinds[result.error_kind or "unknown"] += 1
        tampered = tampered_trials(results, stage)
        self._event("trial_batch", exp=exp, stage=stage, **({"step": step} if step else {}),
                    trials=len(results),
                    infra=len(infra), infra_kinds=dict(kinds), tampered=len(tampered),
                    seconds=round(time.monotonic() - started, 2), folder=str(out_dir))
        if tampered:
            self.tampered.setdefault(exp, []).extend(tampered)
            self._event("tamper", exp=exp, stage=stage, **({"step": step} if step else {}),
                        trials=[t.to_json() for t in tampered])
        self._stop_on_our_own_failures(infra)
        if results and len(infra) > self.infra_fraction * len(results):
            example = " ".join(str(infra[0].error or "").split())[:INFRA_EXAMPLE_CHARS]
            raise InfraBatchError(f"{len(infra)} of {len(results)} trials failed on infrastructure "
                                  f"({dict(kinds)}), e.g. {infra[0].task}: {example}", dict(kinds),
                                  retryable=any(r.retryable is not False for r in infra))
        return results

    def _stop_on_our_own_failures(self, infra: list[TrialResult]) -> None:
        """A full disk, or a bug of our own, in any one trial stops the climb: no pause cures them
        and no other trial of the batch is spared them."""
        for result in infra:
            if result.error_kind == DISK_FULL_KIND:
                raise disk_full_error(f"trial {result.trial_id}: {result.error}", self.ledger.run_dir)
        for result in infra:
            if result.error_kind == INTERNAL_KIND:
                raise InternalError(f"trial {result.trial_id} ({result.task}) failed inside the climb's own "
                                    f"machinery, a bug (its result: {result.trial_dir}/result.json):\n{result.error}")

    def measure(self, candidate: Path, incumbent: Path, out_dir: Path, exp: int,
                baseline: Path | None = None) -> Measure:
        """A decide.Measure running the arms of each request batch together (the baseline's too, if given:
        the confirmation of a keep runs it beside the kept candidate)."""
        agents = {"candidate": self.agent(candidate, "candidate"), "incumbent": self.agent(incumbent, "incumbent")}
        if baseline is not None:
            agents["baseline"] = self.agent(baseline, "baseline")
        batch_no = 0

        async def measure(requests: list[ArmRequest]) -> dict[tuple[str, str], list[float]]:
            nonlocal batch_no
            batch_no += 1
            plan = [(agents[r.arm], r.task_id, r.repeats, r.arm) for r in requests]
            results = await self.run(plan, out_dir / f"batch-{batch_no:02d}", exp=exp, stage="decide",
                                     step=requests[0].step if requests else "")
            rewards: dict[tuple[str, str], list[float]] = defaultdict(list)
            for result in results:
                if result.score is not None:
                    rewards[(result.agent, result.task)].append(result.score)
            return dict(rewards)

        return measure


def per_task_scores(results: list[TrialResult]) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = defaultdict(list)
    for result in results:
        if result.score is not None:
            scores[result.task].append(result.score)
    return dict(scores)


def mean_of_task_means(per_task: dict[str, list[float]]) -> float | None:
    means = [sum(v) / len(v) for v in per_task.values() if v]
    return sum(means) / len(means) if means else None

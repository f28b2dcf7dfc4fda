"""Running the agents of a climb: trial batches, the decide Measure, infra-heavy batches."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from meta.decide.rule import TrialRequest as ArmRequest
from meta.ledger.store import Ledger
from sandbox.pool import SuiteObserver, TrialRequest, run_trials
from sandbox.results import TrialResult, TrialStatus
from sandbox.task import Task
from sandbox.trial import TrialRunner
from task_agent.host import HarnessAgent, ModelSettings
from task_agent.jail import JailConfig


class InfraBatchError(Exception):
    """Most trials of a batch failed on infrastructure: re-run later, do not decide on it."""

    def __init__(self, message: str, kinds: dict[str, int]):
        super().__init__(message)
        self.kinds = kinds


@dataclass
class Evaluator:
    """Runs agent files on tasks for one climb, all batches sharing one concurrency budget."""

    runner: TrialRunner
    semaphore: asyncio.Semaphore
    tasks: dict[str, Task]
    models: ModelSettings
    jail: JailConfig
    ledger: Ledger
    infra_fraction: float = 0.5
    observer: SuiteObserver | None = None

    def agent(self, agent_file: Path, label: str) -> HarnessAgent:
        return HarnessAgent(agent_file, self.models, self.jail, label=label)

    async def run(self, plan: list[tuple[HarnessAgent, str, int, str]], out_dir: Path, *,
                  exp: int | None, stage: str, step: str = "") -> list[TrialResult]:
        """Run (agent, task id, repeats, tag) requests as one batch; raise if infra dominated it.
        ``step`` names the look of a decision (spot, full, ...) in the batch's event."""
        requests = [TrialRequest(self.tasks[task_id], rep, agent, tag)
                    for agent, task_id, repeats, tag in plan for rep in range(repeats)]
        started = time.monotonic()
        suite = await run_trials(requests, self.runner, out_dir, semaphore=self.semaphore, observer=self.observer)
        infra = [r for r in suite.results if r.status == TrialStatus.INFRA_ERROR]
        kinds: dict[str, int] = defaultdict(int)
        for result in infra:
            kinds[result.error_kind or "unknown"] += 1
        self.ledger.append_event("trial_batch", exp=exp, stage=stage, **({"step": step} if step else {}),
                                 trials=len(suite.results),
                                 infra=len(infra), infra_kinds=dict(kinds),
                                 seconds=round(time.monotonic() - started, 2), folder=str(out_dir))
        if suite.results and len(infra) > self.infra_fraction * len(suite.results):
            raise InfraBatchError(f"{len(infra)} of {len(suite.results)} trials failed on infrastructure "
                                  f"({dict(kinds)})", dict(kinds))
        return suite.results

    def measure(self, candidate: Path, incumbent: Path, out_dir: Path, exp: int):
        """A decide.Measure running both arms of each request batch together."""
        agents = {"candidate": self.agent(candidate, "candidate"), "incumbent": self.agent(incumbent, "incumbent")}
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

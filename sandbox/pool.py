"""A suite: tasks x repeats fanned out over trials with bounded concurrency."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from durable import write_json_atomic
from sandbox.agents import Agent
from sandbox.defaults import CONCURRENCY
from sandbox.docker import LABEL_RUN, sweep
from sandbox.environment import InfraError
from sandbox.results import TrialResult
from sandbox.task import Task
from sandbox.trial import TrialRunner, TrialSpec, new_trial_id


class SuiteObserver(Protocol):
    """Receives progress; the CLI's progress bar and the climb dashboard implement it."""

    def trial_started(self, spec: TrialSpec) -> None: ...

    def trial_finished(self, result: TrialResult) -> None: ...


@dataclass(frozen=True)
class TrialRequest:
    """One trial to run: which task, which repeat, with which agent."""

    task: Task
    repeat: int
    agent: Agent
    tag: str = ""
    """Free label carried back to the caller (e.g. which arm of a comparison a trial belongs to)."""


@dataclass
class SuiteResult:
    run_id: str
    results: list[TrialResult]
    tags: list[str]

    def summary(self) -> dict[str, Any]:
        return summarize(self.results)


def summarize(results: list[TrialResult]) -> dict[str, Any]:
    """Mean reward over scored trials, per task means, status counts."""
    by_task: dict[str, list[float]] = {}
    for result in results:
        if result.score is not None:
            by_task.setdefault(result.task, []).append(result.score)
    task_means = {task: statistics.fmean(scores) for task, scores in sorted(by_task.items())}
    scored = [r.score for r in results if r.score is not None]
    return {
        "trials": len(results),
        "scored_trials": len(scored),
        "mean_reward": statistics.fmean(scored) if scored else None,
        "task_mean_reward": statistics.fmean(task_means.values()) if task_means else None,
        "per_task": task_means,
        "status_counts": dict(Counter(r.status.value for r in results)),
    }


async def run_trials(
    requests: list[TrialRequest],
    runner: TrialRunner,
    run_dir: Path,
    *,
    semaphore: asyncio.Semaphore,
    observer: SuiteObserver | None = None,
) -> SuiteResult:
    """Run every request, at most ``semaphore`` at once, each failure isolated.

    Cancellation (Ctrl-C) cancels the running trials, whose cleanup removes their
    containers, then sweeps any container of this run left behind before re-raising.
    """
    results: list[TrialResult | None] = [None] * len(requests)

    async def one(index: int, request: TrialRequest) -> None:
        async with semaphore:
            trial_id = new_trial_id(request.task, request.repeat)
            spec = TrialSpec(request.task, request.repeat, trial_id, run_dir / "trials" / trial_id)
            if observer:
                observer.trial_started(spec)
            result = await runner.run(spec, request.agent)
            results[index] = result
            if observer:
                observer.trial_finished(result)

    try:
        async with asyncio.TaskGroup() as group:
            for index, request in enumerate(requests):
                group.create_task(one(index, request))
        await runner.drain()
    except BaseException:
        await asyncio.shield(_clean_up(runner))
        raise
    done = [r for r in results if r is not None]
    return SuiteResult(runner.run_id, done, [req.tag for req in requests])


async def _clean_up(runner: TrialRunner) -> None:
    """The removals the trials started, then a sweep for any container they did not reach."""
    await runner.drain()
    await asyncio.get_running_loop().run_in_executor(runner.executor, _sweep_quietly, runner)


def _sweep_quietly(runner: TrialRunner) -> None:
    if runner.client is None:  # nothing of this run is on local Docker
        return
    try:
        sweep(runner.client, {LABEL_RUN: runner.run_id})
    except InfraError:
        pass


async def run_suite(
    tasks: list[Task],
    agent: Agent,
    runner: TrialRunner,
    run_dir: Path,
    *,
    repeats: int = 1,
    concurrency: int = CONCURRENCY,
    observer: SuiteObserver | None = None,
) -> SuiteResult:
    """Every task ``repeats`` times; writes ``suite.json`` with the summary."""
    requests = [TrialRequest(task, rep, agent) for rep in range(repeats) for task in tasks]
    suite = await run_trials(requests, runner, run_dir, semaphore=asyncio.Semaphore(concurrency),
                             observer=observer)
    summary = suite.summary()
    write_json_atomic(run_dir / "suite.json", {
        "run_id": runner.run_id,
        "agent": getattr(agent, "name", type(agent).__name__),
        "repeats": repeats,
        "concurrency": concurrency,
        "summary": summary,
        "trials": [
            {"trial_id": r.trial_id, "task": r.task, "repeat": r.repeat, "status": r.status.value,
             "reward": r.reward, "error": r.error} for r in suite.results
        ],
    })
    return suite

"""Suites: bounded concurrency, isolated failures, cancellation that cleans up."""

from __future__ import annotations

import asyncio
import json

import pytest

from sandbox.agents import AgentOutcome, NopAgent, OracleAgent
from sandbox.pool import TrialRequest, run_suite, run_trials
from sandbox.results import TrialStatus
from sandbox.task import load_task
from tests.conftest import leftover_containers
from tests.helpers import make_task

pytestmark = pytest.mark.docker


class CountingAgent:
    """Solves 'good' tasks, crashes on 'bad' ones, and records peak concurrency.

    Every trial waits until ``full`` trials have been running at once (then none waits again),
    so the pool is seen at its limit without guessing how long a trial takes."""

    name = "counting"

    def __init__(self, full: int):
        self.active = 0
        self.peak = 0
        self.full = full
        self.filled = asyncio.Event()

    async def run(self, ctx):
        self.active += 1
        self.peak = max(self.peak, self.active)
        if self.active >= self.full:
            self.filled.set()
        try:
            await asyncio.wait_for(self.filled.wait(), 60)
            if ctx.task.id.startswith("bad"):
                raise RuntimeError("boom")
            await ctx.env.exec("echo hello > /app/out.txt")
            return AgentOutcome()
        finally:
            self.active -= 1


async def test_suite_of_ten_at_concurrency_four(tmp_path, runner):
    names = ("good-a", "good-b", "bad-c", "good-d", "good-e")
    tasks = [load_task(make_task(tmp_path / "tasks", name)) for name in names]
    agent = CountingAgent(full=4)
    suite = await run_suite(tasks, agent, runner, tmp_path / "run", repeats=2, concurrency=4)
    assert len(suite.results) == 10
    assert agent.peak == 4
    for result in suite.results:
        if result.task == "bad-c":
            assert (result.status, result.reward) == (TrialStatus.AGENT_ERROR, 0.0)
        else:
            assert (result.status, result.reward) == (TrialStatus.OK, 1.0)
    summary = json.loads((tmp_path / "run" / "suite.json").read_text())["summary"]
    assert summary["per_task"] == {"bad-c": 0.0, "good-a": 1.0, "good-b": 1.0, "good-d": 1.0, "good-e": 1.0}
    assert summary["status_counts"] == {"ok": 8, "agent_error": 2}
    assert summary["mean_reward"] == 0.8
    assert len(list((tmp_path / "run" / "trials").iterdir())) == 10


async def test_a_task_that_fails_to_build_does_not_stop_the_suite(tmp_path, runner):
    broken = load_task(make_task(tmp_path / "tasks", "broken-build",
                                 dockerfile="FROM climb-base:bookworm\nRUN exit 3\n"))
    good = [load_task(make_task(tmp_path / "tasks", name)) for name in ("good-a", "good-b")]
    suite = await run_suite([good[0], broken, good[1]], OracleAgent(), runner, tmp_path / "run",
                            repeats=2, concurrency=4)
    by_task: dict[str, list] = {}
    for result in suite.results:
        by_task.setdefault(result.task, []).append(result)
    assert [(r.status, r.reward) for r in by_task["good-a"] + by_task["good-b"]] == [(TrialStatus.OK, 1.0)] * 4
    for result in by_task["broken-build"]:
        assert (result.status, result.error_kind, result.score) == (TrialStatus.INFRA_ERROR, "build", None)
        assert "task broken-build" in result.error
    summary = json.loads((tmp_path / "run" / "suite.json").read_text())["summary"]
    assert summary["status_counts"] == {"ok": 4, "infra_error": 2}
    assert summary["mean_reward"] == 1.0 and "broken-build" not in summary["per_task"]


class BlockingAgent:
    name = "blocking"

    def __init__(self):
        self.started = asyncio.Event()
        self.count = 0

    async def run(self, ctx):
        self.count += 1
        if self.count >= 3:
            self.started.set()
        await asyncio.sleep(3600)


async def test_cancellation_mid_suite_leaves_no_container(tmp_path, runner, docker_client):
    task = load_task(make_task(tmp_path, "t"))
    agent = BlockingAgent()
    requests = [TrialRequest(task, rep, agent) for rep in range(8)]
    suite = asyncio.ensure_future(run_trials(requests, runner, tmp_path / "run", semaphore=asyncio.Semaphore(3)))
    await asyncio.wait_for(agent.started.wait(), 60)
    assert len(leftover_containers(docker_client, runner.run_id)) == 3
    suite.cancel()
    with pytest.raises(asyncio.CancelledError):
        await suite
    assert leftover_containers(docker_client, runner.run_id) == []


async def test_cancellation_while_containers_start_leaves_none(tmp_path, runner, docker_client):
    task = load_task(make_task(tmp_path, "t"))
    await runner.images.ensure(task)  # cached: each trial goes straight to starting its container
    requests = [TrialRequest(task, rep, NopAgent()) for rep in range(4)]
    suite = asyncio.ensure_future(run_trials(requests, runner, tmp_path / "run", semaphore=asyncio.Semaphore(4)))
    for _ in range(5):
        await asyncio.sleep(0)  # every trial reaches its container start, a worker thread
    suite.cancel()
    with pytest.raises(asyncio.CancelledError):
        await suite
    await asyncio.get_running_loop().shutdown_default_executor()  # those threads are done too
    assert leftover_containers(docker_client, runner.run_id) == []


async def test_mixed_agents_in_one_batch_keep_their_tags(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t"))
    requests = [TrialRequest(task, 0, OracleAgent(), "candidate"),
                TrialRequest(task, 0, CountingAgent(full=1), "incumbent")]
    suite = await run_trials(requests, runner, tmp_path / "run", semaphore=asyncio.Semaphore(2))
    assert suite.tags == ["candidate", "incumbent"]
    assert [r.agent for r in suite.results] == ["oracle", "counting"]

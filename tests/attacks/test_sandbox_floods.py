"""Floods: commands (one trial starving the others), processes in the container, verifier
output, agent logs; and the agent ending its container. Each flood costs only its own trial,
always a scored one (never an unscored infra error the agent could hide behind)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from sandbox.agents import AgentOutcome
from sandbox.docker_host import EXECS_PER_TRIAL, LABEL_RUN, LABEL_TASK
from sandbox.results import TrialStatus
from sandbox.task import load_task
from sandbox.trial import TrialSpec, new_trial_id
from tests.attacks.sandbox_kit import agent_py, beside_honest, hello_task, task_model
from tests.helpers import make_task

pytestmark = pytest.mark.docker

HONEST = """
async def run(ctx):
    for command in ("mkdir -p /app", "echo hello > /app/out.txt", "cat /app/out.txt", "ls /app", "true"):
        result = await ctx.env.run(command)
        assert result.exit_code == 0, result.output
"""


def spec(tmp_path, task, name):
    trial_id = new_trial_id(task, 0)
    return TrialSpec(task, 0, trial_id, tmp_path / name / trial_id)


def flood_sleeps(client, run_id: str) -> set[str]:
    """The flood's sleeps running now (each has its own length, so a batch can be told from the next)."""
    found = client.api.containers(filters={"label": [f"{LABEL_RUN}={run_id}", f"{LABEL_TASK}=flood"]})
    if not found:
        return set()
    try:
        listing = client.api.top(found[0]["Id"])
    except Exception:  # the container went away between the two calls
        return set()
    return {row[-1] for row in listing.get("Processes") or [] if row[-1].startswith("sleep 25.")}


@pytest.mark.slow
async def test_an_exec_flood_does_not_slow_an_honest_neighbour(tmp_path, runner, docker_client):
    honest_task = hello_task(tmp_path)
    flood_task = hello_task(tmp_path, "flood", toml="[agent]\ntimeout_sec = 30\n[verifier]\ntimeout_sec = 30\n")
    honest = agent_py(tmp_path, "honest", HONEST)
    flooder = agent_py(tmp_path, "flooder", """
        async def run(ctx):
            await asyncio.gather(*(ctx.env.run(f"sleep 25.{i:03d}", timeout=60) for i in range(40)))
    """)
    alone = await runner.run(spec(tmp_path, honest_task, "alone"), honest)
    assert (alone.status, alone.reward) == (TrialStatus.OK, 1.0), alone.error

    flood = asyncio.create_task(runner.run(spec(tmp_path, flood_task, "flood"), flooder))
    first: set[str] = set()
    while len(first) < EXECS_PER_TRIAL:  # wait until the flood holds every exec slot of its trial
        assert not flood.done(), flood.result()
        first = await asyncio.to_thread(flood_sleeps, docker_client, runner.run_id)
        await asyncio.sleep(0.2)
    started = time.monotonic()
    beside = await runner.run(spec(tmp_path, honest_task, "beside"), honest)
    beside_s = time.monotonic() - started
    still = await asyncio.to_thread(flood_sleeps, docker_client, runner.run_id)
    flooded = await flood
    assert (beside.status, beside.reward) == (TrialStatus.OK, 1.0), beside.error
    # Queued behind the flood, the honest trial would have waited for its first sleeps (25 s)
    # to end; it finished while they were still running, in about its usual time.
    assert still == first, (beside_s, alone.timings.total_s)
    assert beside_s < max(3 * alone.timings.total_s, alone.timings.total_s + 15), (beside_s, alone.timings.total_s)
    assert len(first) == EXECS_PER_TRIAL  # the flood's other commands queue in its own trial
    assert (flooded.status, flooded.reward) == (TrialStatus.AGENT_TIMEOUT, 0.0), (flooded.status, flooded.error)


async def test_a_process_flood_in_the_container_costs_only_its_own_trial(tmp_path, runner):
    task = hello_task(tmp_path, toml="[agent]\ntimeout_sec = 60\n[verifier]\ntimeout_sec = 30\n"
                                     "[environment]\nnetwork_mode = \"no-network\"\nmemory_mb = 512\n")
    forker = task_model(tmp_path, "fork-flood", [
        ("python3 -c \"import os\n"
        "for i in range(5000):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        break\n"
        "    if pid == 0:\n"
        "        os.execv('/bin/sleep', ['sleep', '1000'])\n"
        "\"; ps -e | wc -l"),
    ])
    (result,), _ = await beside_honest(runner, tmp_path / "run", task, [forker])
    assert result.scored and result.score == 0.0 and result.attempt == 1, (result.status, result.error)


class Solver:
    """Solves the task, then fills the container's /logs/agent with 300 MB."""

    name = "log-flooder"

    async def run(self, ctx):
        done = await ctx.env.exec("mkdir -p /app && echo hello > /app/out.txt && "
                                  "head -c 300000000 /dev/zero > /logs/agent/flood.bin", user="0")
        assert done.exit_code == 0, done.stderr
        return AgentOutcome()


async def test_output_floods_are_scored_and_bounded(tmp_path, runner):
    flood = "head -c 300000000 /dev/zero | tr '\\\\0' x"
    stdout_task = load_task(make_task(tmp_path, "stdout-flood", test_sh=f"#!/bin/bash\n{flood}\n"
                                      "echo 1 > /logs/verifier/reward.txt\n"))
    file_task = load_task(make_task(tmp_path, "file-flood", test_sh=f"#!/bin/bash\n{flood} > /logs/verifier/big.log\n"
                                    "echo 1 > /logs/verifier/reward.txt\n"))
    for task, where in ((stdout_task, "/logs/verifier/test-stdout.txt"), (file_task, "/logs/verifier/big.log")):
        started = time.monotonic()
        result = await runner.run(spec(tmp_path, task, task.id), Solver())
        assert (result.status, result.error_kind, result.attempt) == \
            (TrialStatus.VERIFIER_ERROR, "verifier_output_too_large", 1), result.error
        assert where in result.error and result.score == 0.0
        assert time.monotonic() - started < 60
        kept = Path(result.trial_dir)
        assert sum(p.stat().st_size for p in kept.rglob("*") if p.is_file()) < 64 * 1024 * 1024
    # The agent's own 300 MB of logs cost it nothing but the logs: its reward is read.
    plain = hello_task(tmp_path)
    result = await runner.run(spec(tmp_path, plain, "agent-flood"), Solver())
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    assert any("copying /logs" in w for w in result.warnings)


async def test_an_agent_that_ends_its_container_is_scored(tmp_path, runner):
    task = hello_task(tmp_path)
    killer = task_model(tmp_path, "kill-init", ["kill -TERM 1; sleep 1; echo still here"])
    (result,), _ = await beside_honest(runner, tmp_path / "run", task, [killer])
    assert (result.status, result.error_kind, result.attempt) == \
        (TrialStatus.VERIFIER_ERROR, "container_stopped", 1), result.error
    assert result.score == 0.0

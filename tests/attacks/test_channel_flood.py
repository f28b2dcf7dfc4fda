"""Channel floods: huge lines, request storms, answers never read. The parent stays small and an
honest trial beside them keeps its normal time."""

from __future__ import annotations

import asyncio
import resource
from pathlib import Path

import pytest

from sandbox.pool import TrialRequest, run_trials
from sandbox.results import TrialStatus
from task_agent.channel import MAX_IN_FLIGHT, MAX_UNREAD_BYTES
from task_agent.host import HarnessAgent, ModelSettings
from tests.attacks.jail_helpers import hostile, run_one, script, small_task

pytestmark = pytest.mark.docker

MiB = 1024 * 1024
ANSWERS = 40
"""The never_reads flood's script: 40 answers of 1 MiB; served unbounded, they would run out (script_exhausted)."""
AGENT_PY = Path(__file__).resolve().parents[2] / "task_agent" / "agent.py"
CHANNEL = """
        channel = int(sys.argv[2])  # the runtime's end of the channel, written raw
        os.set_blocking(channel, True)
"""
FLOODS = {
    # one line that never ends: the parent stops at MAX_LINE_BYTES and ends the trial
    "huge_line": CHANNEL + """
        async def run(ctx):
            block = b"x" * (1024 * 1024)
            while True:
                os.write(channel, block)
    """,
    # a million cheap requests as fast as it can write: the parent answers at most REQUESTS_PER_SEC
    "cheap_storm": CHANNEL + """
        async def run(ctx):
            for index in range(10**6):
                os.write(channel, b'{"id": 1, "op": "nothing"}\\n')
    """,
    # a thousand model calls whose 1 MiB answers it never reads (its event loop never runs again)
    "never_reads": CHANNEL + """
        import time
        async def run(ctx):
            line = json.dumps({"id": 10**6, "op": "complete", "model": ctx.model.name,
                               "messages": [{"role": "user", "content": "hi"}]}) + "\\n"
            for index in range(1000):
                os.write(channel, line.encode())
            time.sleep(3600)
    """,
    # lines that are JSON but not requests are answered, and the agent goes on
    "not_objects": CHANNEL + """
        async def run(ctx):
            for line in (b"[1, 2]\\n", b'"text"\\n', b"42\\n", b"null\\n"):
                os.write(channel, line)
            result = await ctx.env.run("echo still here")
            assert result.output.strip() == "still here", result
    """,
}
EXPECTED = {"huge_line": (TrialStatus.AGENT_ERROR, "channel_abuse"),
            "cheap_storm": (TrialStatus.AGENT_TIMEOUT, "agent_timeout"),
            "never_reads": (TrialStatus.AGENT_TIMEOUT, "agent_timeout"),
            "not_objects": (TrialStatus.OK, None)}
STORM = CHANNEL + """
        async def run(ctx):
            probe = ("mkdir -p /tmp/running; ls /tmp/running | wc -l >> /logs/agent/concurrency; "
                     "touch /tmp/running/$$; sleep 1; rm /tmp/running/$$")
            for index in range(5000):
                line = json.dumps({"id": 10**6 + index, "op": "exec", "cmd": probe, "timeout": 30}) + "\\n"
                os.write(channel, line.encode())
    """


def honest(tmp_path: Path, tag: str) -> TrialRequest:
    steps = [{"text": "", "tool_calls": [{"name": "run_shell", "arguments": {"command": f"echo step {i}"}}]}
             for i in range(6)] + [{"text": "done"}]
    agent = HarnessAgent(AGENT_PY, ModelSettings(task_model=script(tmp_path, steps, f"{tag}.json")), label=tag)
    return TrialRequest(small_task(tmp_path, f"task-{tag}"), 0, agent, tag=tag)


async def test_floods_are_contained_and_the_honest_neighbour_keeps_its_time(tmp_path, runner):
    alone = await run_trials([honest(tmp_path, "alone")], runner, tmp_path / "alone", semaphore=asyncio.Semaphore(1))
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    big_answers = script(tmp_path, [{"text": "a" * MiB}] * ANSWERS, "big.json")
    floods = [TrialRequest(small_task(tmp_path, f"task-{name}", timeout_sec=15), 0,
                           HarnessAgent(hostile(tmp_path, name, body), ModelSettings(task_model=big_answers),
                                        label=name),
                           tag=name)
              for name, body in FLOODS.items()]
    suite = await run_trials([*floods, honest(tmp_path, "beside")], runner, tmp_path / "floods",
                             semaphore=asyncio.Semaphore(len(floods) + 1))
    by_name = {r.agent: r for r in suite.results}
    for name, (status, kind) in EXPECTED.items():
        assert (by_name[name].status, by_name[name].error_kind) == (status, kind), (name, by_name[name].error)
    assert "more than 8388608 bytes" in by_name["huge_line"].error
    assert by_name["huge_line"].timings.agent_s < 10
    # answers it left unread stop the parent from reading its requests: not even the script's 40 are served
    assert 0 < by_name["never_reads"].usage["model_calls"] <= MAX_UNREAD_BYTES // MiB + 2 * MAX_IN_FLIGHT < ANSWERS
    solo, beside = alone.results[0], by_name["beside"]
    assert (solo.status, beside.status) == (TrialStatus.OK, TrialStatus.OK), (solo.error, beside.error)
    assert beside.timings.agent_s < 3 * solo.timings.agent_s + 5, (solo.timings.agent_s, beside.timings.agent_s)
    # what the floods sent (GBs, and a GB of answers asked for) never sat in the parent's memory
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 400, grown_mb


async def test_a_request_storm_runs_at_most_max_in_flight_commands(tmp_path, runner):
    # (how the neighbours of such a storm fare is the sandbox's exec scheduling: tests/attacks' exec floods)
    result, trial_dir = await run_one(tmp_path, runner, hostile(tmp_path, "storm", STORM),
                                      task=small_task(tmp_path, "storm", timeout_sec=10))
    assert result.status == TrialStatus.AGENT_TIMEOUT, result.error
    running = [int(n) for n in (trial_dir / "agent" / "concurrency").read_text().split()]
    assert len(running) > 10 and max(running) < MAX_IN_FLIGHT, running

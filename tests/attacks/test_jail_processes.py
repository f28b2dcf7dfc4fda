"""Processes in the jail: a fork flood is capped per jail and dies with it; a CPU flood starves no neighbour."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.pool import TrialRequest, run_trials
from sandbox.results import TrialStatus
from task_agent.host import HarnessAgent, ModelSettings
from task_agent.jail import OPEN_FILES, JailConfig, source_root
from tests.attacks.jail_helpers import findings, hostile, run_one, script, small_task

pytestmark = pytest.mark.docker

AGENT_PY = Path(__file__).resolve().parents[2] / "task_agent" / "agent.py"
MARK = str(100000 + secrets.randbelow(800000))
"""A sleep length unique to this run: the flood's processes are found by it."""


def processes_with(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,user,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


async def test_a_fork_flood_is_capped_per_jail_and_dies_with_it(tmp_path, runner):
    agent = hostile(tmp_path, "forks", f"""
        import threading, time
        async def run(ctx):
            children, error = 0, None
            while children < 1000:
                try:
                    pid = os.fork()
                except OSError as exc:
                    error = exc.strerror
                    break
                if pid == 0:
                    os.execv("/bin/sleep", ["sleep", "{MARK}"])
                children += 1
            files = []
            try:
                while len(files) < 5000:
                    files.append(open("/dev/null"))
            except OSError as exc:
                files_error = exc.strerror
            opened = len(files)
            for handle in files:
                handle.close()
            threads = 0
            try:
                while threads < 1000:
                    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
                    threads += 1
            except RuntimeError:  # "can't start new thread": threads count as processes
                pass
            report({{"children": children, "error": error, "threads": threads, "files": opened,
                     "files_error": files_error}})
    """)
    result, trial_dir = await run_one(tmp_path, runner, agent, jail=JailConfig(max_processes=40))
    assert result.status == TrialStatus.OK, result.error
    seen = findings(trial_dir)
    # the jail's processes and threads share 40: its init, the runtime, the children
    assert 30 <= seen["children"] < 40 and seen["error"] == "Resource temporarily unavailable", seen
    assert seen["threads"] == 0
    assert 1000 <= seen["files"] < OPEN_FILES and seen["files_error"] == "Too many open files"
    assert processes_with(f"sleep {MARK}") == []  # none outlives its jail


async def test_a_cpu_flood_does_not_starve_an_honest_neighbour(tmp_path, runner):
    spinner = hostile(tmp_path, "spinner", """
        async def run(ctx):
            for _ in range(60):
                if os.fork() == 0:
                    while True:
                        pass
            while True:
                pass
    """)
    honest_task = small_task(tmp_path, "honest")
    steps = [{"text": "", "tool_calls": [{"name": "run_shell", "arguments": {"command": f"echo {i}"}}]}
             for i in range(6)] + [{"text": "done"}]

    def honest(tag: str) -> TrialRequest:
        model = script(tmp_path, steps, f"{tag}.json")
        return TrialRequest(honest_task, 0, HarnessAgent(AGENT_PY, ModelSettings(task_model=model), label=tag), tag=tag)

    alone = await run_trials([honest("alone")], runner, tmp_path / "alone", semaphore=asyncio.Semaphore(2))
    flood = TrialRequest(small_task(tmp_path, "flood", timeout_sec=20), 0,
                         HarnessAgent(spinner, ModelSettings(), JailConfig(max_processes=100), label="spinner"),
                         tag="spinner")
    both = await run_trials([flood, honest("beside")], runner, tmp_path / "both", semaphore=asyncio.Semaphore(2))
    by_tag = {r.agent: r for r in both.results}
    assert by_tag["spinner"].status == TrialStatus.AGENT_TIMEOUT
    solo, beside = alone.results[0], by_tag["beside"]
    assert (solo.status, beside.status) == (TrialStatus.OK, TrialStatus.OK), (solo.error, beside.error)
    # the jail is one scheduling group (its own session): 60 spinning processes weigh as one
    assert beside.timings.agent_s < 3 * solo.timings.agent_s + 5, (solo.timings.agent_s, beside.timings.agent_s)


DIES_WITH_PARENT = """
import asyncio, os, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from task_agent.channel import ParentChannel
from task_agent.jail import JailConfig
from task_agent.jail_process import launch

AGENT = b"import subprocess\\nMODEL = 'x'\\nasync def run(ctx):\\n    subprocess.run(['sleep', '{mark}'])\\n"

async def main():
    logs = Path({logs!r})
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    with open(logs / "out", "wb") as out:
        jail, trajectory = await launch(JailConfig(), AGENT, Path("/none"), logs, (to_r, from_w), out, out)
    channel = await ParentChannel.connect(from_r, to_w)
    await channel.receive()
    jail.attach()
    channel.send({{"instruction": "", "timeout_sec": 60, "session_id": "s", "trajectory_path": trajectory}})
    print("started", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_the_jail_dies_with_its_parent(tmp_path):
    mark = str(100000 + secrets.randbelow(800000))
    code = DIES_WITH_PARENT.format(root=str(source_root()), mark=mark, logs=str(tmp_path))
    parent = await asyncio.create_subprocess_exec(sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE)
    assert await asyncio.wait_for(parent.stdout.readline(), 60) == b"started\n"
    for _ in range(100):  # the agent's child is up
        if processes_with(f"sleep {mark}"):
            break
        await asyncio.sleep(0.1)
    assert processes_with(f"sleep {mark}")
    parent.kill()  # SIGKILL: no cleanup code of ours runs
    await parent.wait()
    for _ in range(100):
        if not processes_with(f"sleep {mark}"):
            break
        await asyncio.sleep(0.1)
    assert processes_with(f"sleep {mark}") == []

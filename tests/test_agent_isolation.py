"""Broken and hostile agent.py files: each ends as the right status, nothing survives, nothing leaks."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import textwrap
from pathlib import Path

import pytest

from sandbox.pool import TrialRequest, run_suite, run_trials
from sandbox.results import TrialStatus
from sandbox.task import load_task
from task_agent.host import HarnessAgent, ModelSettings
from tests.helpers import make_task

pytestmark = pytest.mark.docker

HEADER = "from task_agent.runtime import Context\nMODEL = 'scripted:unused'\n"
# Sleep durations unique to this test run, so processes of a concurrent run are not mistaken for ours.
MARK = str(1000 + secrets.randbelow(8000))


def agent_file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def processes_with(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


BROKEN = {
    "syntax_error": ("def run(ctx:\n", TrialStatus.AGENT_ERROR, "SyntaxError"),
    "import_error": ("import docker\n", TrialStatus.AGENT_ERROR, "ModuleNotFoundError"),
    "raise_at_import": ("raise RuntimeError('broken at import')\n", TrialStatus.AGENT_ERROR, "broken at import"),
    "raise_in_run": ("async def run(ctx):\n    raise ValueError('broken in run')\n",
                     TrialStatus.AGENT_ERROR, "broken in run"),
    "infinite_loop": ("async def run(ctx):\n    while True:\n        pass\n", TrialStatus.AGENT_TIMEOUT, ""),
    "allocate_10gb": ("async def run(ctx):\n    block = bytearray(10 * 1024 ** 3)\n", TrialStatus.AGENT_ERROR,
                      "MemoryError"),
    "orphan_child": (
        ("import subprocess\n"
         "async def run(ctx):\n"
         f"    subprocess.Popen(['sleep', '{MARK}1'], start_new_session=True)\n"
         f"    subprocess.Popen(['bash', '-c', '(setsid sleep {MARK}2 &) ; sleep {MARK}3'], start_new_session=True)\n"),
        TrialStatus.OK, ""),
    "exit_early": ("import sys\nasync def run(ctx):\n    sys.exit(3)\n", TrialStatus.AGENT_ERROR, "SystemExit"),
    "hard_exit_zero": ("import os\nasync def run(ctx):\n    os._exit(0)\n", TrialStatus.AGENT_ERROR, "exit 0"),
    "shell_child_holding_fds": (f"import os\nasync def run(ctx):\n    os.system('sleep {MARK}4 &')\n",
                                TrialStatus.OK, ""),
    "garbage_on_channel": (("import os, sys, time\nasync def run(ctx):\n"
                            "    os.write(int(sys.argv[2]), b'not json\\n')\n    time.sleep(60)\n"),
                           TrialStatus.AGENT_ERROR, "JSONDecodeError"),
    "lingering_thread": (("import threading, time\nasync def run(ctx):\n"
                          "    threading.Thread(target=time.sleep, args=(3600,)).start()\n"),
                         TrialStatus.OK, ""),  # done is done: killed after a short grace, not timed out
    "malformed_request": (  # a request without its fields is refused, not left unanswered
        ("from task_agent.runtime import ChannelError\n"
         "async def run(ctx):\n"
         "    try:\n"
         "        await ctx.env._channel.call('exec')\n"
         "    except ChannelError as exc:\n"
         "        assert 'bad request' in str(exc), exc\n"),
        TrialStatus.OK, ""),
}


async def test_broken_agents_each_end_right_and_the_suite_completes(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello", toml="[agent]\ntimeout_sec = 5\n[verifier]\ntimeout_sec = 30\n"))
    requests = [TrialRequest(task, 0, HarnessAgent(agent_file(tmp_path, name, body), ModelSettings(), label=name),
                             tag=name)
                for name, (body, _, _) in BROKEN.items()]
    # One suite holds them all: a broken sibling must not take the others down.
    suite = await run_trials(requests, runner, tmp_path / "run", semaphore=asyncio.Semaphore(2))
    assert len(suite.results) == len(BROKEN)
    by_name = {result.agent: result for result in suite.results}
    for name, (_, status, needle) in BROKEN.items():
        result = by_name[name]
        assert result.status == status, f"{name}: {result.status} {result.error}"
        assert needle in (result.error or ""), f"{name}: {result.error}"
        assert result.reward == 0.0, name  # verified, and the agent did not solve anything
        assert result.timings.agent_s < 10, name
    assert processes_with(f"sleep {MARK}") == []
    assert processes_with(str(tmp_path)) == []  # no jail (its argv names the agent file) is left


async def test_agent_cannot_reach_answers_socket_keys_or_network(tmp_path, runner, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-must-not-leak")
    task_dir = make_task(tmp_path / "secret-place", "hello")
    probe = agent_file(tmp_path, "probe", f"""
        import importlib, json, os, socket
        async def run(ctx):
            found = []
            for dirpath, dirnames, filenames in os.walk("/"):
                if dirpath.startswith(("/proc", "/sys", "/usr")):  # /usr: the system, bound read-only
                    dirnames[:] = []
                    continue
                found += [os.path.join(dirpath, f) for f in filenames
                          if f in ("solve.sh", "test.sh", "docker.sock", "agent.py")]
            importable = []
            for name in ("docker", "sandbox", "anthropic", "openai"):
                try:
                    importlib.import_module(name)
                    importable.append(name)
                except ImportError:
                    pass
            container = await ctx.env.run("env; cat /proc/1/environ")
            findings = {{
                "files": found,
                "docker_sock": os.path.exists("/var/run/docker.sock") or os.path.exists("/run/docker.sock"),
                "task_dir_visible": os.path.exists({str(task_dir)!r}),
                "env_keys": [k for k in os.environ if "KEY" in k or "TOKEN" in k or k.startswith("DOCKER")],
                "key_in_container": "sk-must-not-leak" in container.output,
                "importable": importable,
                "uid": os.getuid(),
            }}
            try:
                socket.create_connection(("1.1.1.1", 80), timeout=2)
                findings["network"] = True
            except OSError:
                findings["network"] = False
            with open("/logs/agent/findings.json", "w") as fh:
                json.dump(findings, fh)
    """)
    task = load_task(task_dir)
    suite = await run_suite([task], HarnessAgent(probe, ModelSettings()), runner, tmp_path / "run")
    result = suite.results[0]
    assert result.status == TrialStatus.OK, result.error
    findings = json.loads((Path(result.trial_dir) / "agent" / "findings.json").read_text())
    # The walk works (it finds its own agent.py) and finds no answer key, test, or socket.
    assert findings == {"files": ["/agent/agent.py"], "docker_sock": False,
                        "task_dir_visible": False, "env_keys": [], "key_in_container": False,
                        "importable": [], "uid": 65534, "network": False}

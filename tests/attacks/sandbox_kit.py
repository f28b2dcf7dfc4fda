"""Shared pieces of the sandbox attacks: hostile agents through the real jail, an honest
neighbour in the same batch, and a canary folder on the host that must stay untouched."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

from sandbox.agents import OracleAgent
from sandbox.pool import TrialRequest, run_trials
from sandbox.results import TrialResult, TrialStatus
from sandbox.task import Task, load_task
from task_agent.host import HarnessAgent, ModelSettings
from tests.helpers import make_task

AGENT_PY = Path(__file__).resolve().parents[2] / "task_agent" / "agent.py"
HEADER = "import asyncio, os\nfrom task_agent.runtime import Context\nMODEL = 'scripted:unused'\n"


def hello_task(root: Path, name: str = "hello", **kw) -> Task:
    """The test gives 1 only for hello in /app/out.txt: every attacker below fails it honestly."""
    return load_task(make_task(root, name, **kw))


def agent_py(tmp_path: Path, name: str, body: str) -> HarnessAgent:
    """A hostile agent.py (run in the real jail) with the given body."""
    path = tmp_path / f"{name}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return HarnessAgent(path, ModelSettings(), label=name)


def task_model(tmp_path: Path, name: str, commands: list[str]) -> HarnessAgent:
    """The real baseline agent.py whose (scripted) task model runs the given commands, one
    run_shell call each, then says it is done."""
    steps = [{"tool_calls": [{"name": "run_shell", "arguments": {"command": c}}]} for c in commands]
    script = tmp_path / f"{name}.json"
    script.write_text(json.dumps(steps + [{"text": "done"}]))
    return HarnessAgent(AGENT_PY, ModelSettings(task_model=f"scripted:{script}"), label=name)


def canary(tmp_path: Path) -> Path:
    """A host folder outside every trial folder, with one file in it."""
    folder = tmp_path / "host-canary"
    folder.mkdir()
    (folder / "canary.txt").write_text("untouched\n")
    return folder


def assert_untouched(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == ["canary.txt"], sorted(folder.iterdir())
    assert (folder / "canary.txt").read_text() == "untouched\n"


async def beside_honest(runner, run_dir: Path, task: Task, attackers: list) -> tuple[list[TrialResult], TrialResult]:
    """Run the attackers and an honest oracle on the same task in one batch; the honest one must score 1."""
    requests = [TrialRequest(task, 0, agent, tag=getattr(agent, "name", "attacker")) for agent in attackers]
    requests.append(TrialRequest(task, 0, OracleAgent(), tag="honest"))
    suite = await run_trials(requests, runner, run_dir, semaphore=asyncio.Semaphore(4))
    by_tag = dict(zip(suite.tags, suite.results))
    honest = by_tag.pop("honest")
    assert (honest.status, honest.reward, honest.tampered) == (TrialStatus.OK, 1.0, False), honest.error
    return [by_tag[getattr(a, "name", "attacker")] for a in attackers], honest


def flagged(result: TrialResult) -> dict[str, str]:
    return {f.path: f.reason for f in (result.tamper.flags if result.tamper else [])}

"""The real agent loop (agent.py in its jail) with a scripted model, on real Docker tasks."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from sandbox.results import TrialStatus
from sandbox.task import load_task
from sandbox.trial import TrialSpec, new_trial_id
from task_agent.host import HarnessAgent, ModelSettings
from task_agent.jail import JailConfig
from tests.atif_check import check_atif
from tests.helpers import make_task

pytestmark = pytest.mark.docker
AGENT_PY = Path(__file__).resolve().parents[1] / "task_agent" / "agent.py"


def script(tmp_path: Path, responses: list, name: str = "script.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(responses))
    return f"scripted:{path}"


def shell(command: str, text: str = "") -> dict:
    return {"text": text, "tool_calls": [{"name": "run_shell", "arguments": {"command": command}}]}


def assert_every_call_observed(doc: dict) -> None:
    """Each tool call of an agent step is answered by an observation of the same step."""
    for step in doc["steps"]:
        calls = [c["tool_call_id"] for c in step.get("tool_calls") or []]
        observed = [r["source_call_id"] for r in (step.get("observation") or {}).get("results", [])]
        assert sorted(calls) == sorted(observed), f"step {step['step_id']}: calls {calls}, observed {observed}"


def variant(tmp_path: Path, body: str, name: str = "variant.py") -> Path:
    path = tmp_path / name
    path.write_text("from task_agent.runtime import Context, ModelError\nMODEL = 'scripted:unused'\n" + body)
    return path


async def run_one(tmp_path, runner, task, model: str, agent_file: Path = AGENT_PY, jail: JailConfig | None = None):
    agent = HarnessAgent(agent_file, ModelSettings(task_model=model), jail)
    trial_id = new_trial_id(task, 0)
    spec = TrialSpec(task, 0, trial_id, tmp_path / "run" / "trials" / trial_id)
    return await runner.run(spec, agent), spec.trial_dir


def test_agent_py_imports_only_the_runtime():
    tree = ast.parse(AGENT_PY.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "task_agent.runtime"}, imported
    assert len(AGENT_PY.read_text().splitlines()) < 150  # a model reads it whole


async def test_a_script_that_solves_the_task_scores_one(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [
        shell("ls /app; echo hello > /app/out.txt", "I'll write the file."),
        shell("cat /app/out.txt", "Checking."),
        {"text": "The file contains hello."},
    ])
    result, trial_dir = await run_one(tmp_path, runner, task, model)
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    assert result.usage["model_calls"] == 3
    assert result.model == model
    doc = json.loads((trial_dir / "agent" / "trajectory.json").read_text())
    check_atif(doc)
    assert_every_call_observed(doc)
    sources = [s["source"] for s in doc["steps"]]
    assert sources == ["system", "user", "agent", "agent", "agent"]
    observed = doc["steps"][3]["observation"]["results"][0]
    assert observed["source_call_id"] == doc["steps"][3]["tool_calls"][0]["tool_call_id"]
    assert "hello" in observed["content"] and "[exit code 0]" in observed["content"]
    assert doc["final_metrics"]["total_steps"] == 5


async def test_a_script_that_stops_early_scores_zero(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [shell("ls /app"), {"text": "I think it is done."}])
    result, trial_dir = await run_one(tmp_path, runner, task, model)
    assert (result.status, result.reward) == (TrialStatus.OK, 0.0)
    check_atif(json.loads((trial_dir / "agent" / "trajectory.json").read_text()))


async def test_tool_errors_go_back_to_the_model(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [
        {"tool_calls": [{"name": "no_such_tool", "arguments": {}}]},
        {"tool_calls": [{"name": "run_shell", "arguments": {"cmd": "oops"}}]},
        shell("echo hello > /app/out.txt"),
        {"text": "done"},
    ])
    result, trial_dir = await run_one(tmp_path, runner, task, model)
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    doc = json.loads((trial_dir / "agent" / "trajectory.json").read_text())
    check_atif(doc)
    assert_every_call_observed(doc)
    errors = [s["observation"]["results"][0]["content"] for s in doc["steps"] if "observation" in s][:2]
    assert errors[0].startswith("[error] unknown tool")
    assert errors[1].startswith("[error] TypeError")


async def test_max_turns_ends_the_run(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [shell(f"echo turn {i}") for i in range(10)])
    result, trial_dir = await run_one(tmp_path, runner, task, model)
    assert (result.status, result.reward) == (TrialStatus.OK, 0.0)
    doc = json.loads((trial_dir / "agent" / "trajectory.json").read_text())
    check_atif(doc)
    assert sum(s["source"] == "agent" for s in doc["steps"]) == 10
    assert "observation" in doc["steps"][-1]  # the last tool results are recorded too


async def test_unconsumed_script_fails_loudly(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [{"text": "done"}, {"text": "never used"}])
    result, _ = await run_one(tmp_path, runner, task, model)
    assert (result.status, result.error_kind) == (TrialStatus.AGENT_ERROR, "script_unconsumed")
    assert "1 responses left unconsumed" in result.error


async def test_exhausted_script_fails_loudly(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [shell("true")])
    result, _ = await run_one(tmp_path, runner, task, model)
    assert (result.status, result.error_kind) == (TrialStatus.AGENT_ERROR, "script_exhausted")
    assert "exhausted" in result.error.lower()


async def test_exhausted_script_fails_loudly_even_if_the_agent_catches_model_errors(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    forgiving = variant(tmp_path, (
        "async def run(ctx):\n"
        "    for _ in range(3):\n"
        "        try:\n"
        "            await ctx.model.complete([{'role': 'user', 'content': 'hi'}], max_tokens=10)\n"
        "        except ModelError:\n"
        "            return\n"))
    model = script(tmp_path, [{"text": "one"}])
    result, _ = await run_one(tmp_path, runner, task, model, forgiving)
    assert (result.status, result.error_kind) == (TrialStatus.AGENT_ERROR, "script_exhausted")


async def test_a_killed_agent_leaves_its_trajectory(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello", toml="[agent]\ntimeout_sec = 4\n"))
    hangs = variant(tmp_path, (
        "async def run(ctx):\n"
        "    await ctx.model.complete([{'role': 'user', 'content': ctx.instruction}], system='sys', max_tokens=10)\n"
        "    while True:\n"
        "        pass\n"))
    model = script(tmp_path, [{"text": "thinking...", "usage": {"input_tokens": 7, "output_tokens": 3}}])
    result, trial_dir = await run_one(tmp_path, runner, task, model, hangs)
    assert result.status == TrialStatus.AGENT_TIMEOUT, result.error
    assert result.usage["model_calls"] == 1  # spend before the kill is still booked
    doc = json.loads((trial_dir / "agent" / "trajectory.json").read_text())
    check_atif(doc)
    assert [s["source"] for s in doc["steps"]] == ["system", "user", "agent"]
    assert doc["steps"][2]["message"] == "thinking..." and doc["steps"][2]["metrics"]["completion_tokens"] == 3


async def test_task_model_overrides_agent_model(tmp_path, runner):
    agent_file = tmp_path / "agent.py"
    agent_file.write_text(AGENT_PY.read_text().replace('MODEL = "anthropic:claude-sonnet-5-5"',
                                                       'MODEL = "anthropic:claude-opus-4-1"'))
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [{"text": "done"}])
    result, trial_dir = await run_one(tmp_path, runner, task, model, agent_file)
    assert result.status == TrialStatus.OK and result.model == model
    doc = json.loads((trial_dir / "agent" / "trajectory.json").read_text())
    assert doc["agent"]["model_name"] == "scripted:script.json"  # the agent is told the script's name, not its path


async def test_without_a_jail_the_same_channel_works(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    model = script(tmp_path, [shell("echo hello > /app/out.txt"), {"text": "done"}])
    result, trial_dir = await run_one(tmp_path, runner, task, model, jail=JailConfig(kind="none"))
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    check_atif(json.loads((trial_dir / "agent" / "trajectory.json").read_text()))

"""The whole trial with the real anthropic SDK path, against a local Messages-API server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.results import TrialStatus
from sandbox.task import load_task
from sandbox.trial import TrialSpec, new_trial_id
from task_agent.host import HarnessAgent, ModelSettings
from models import RetryPolicy, UsageTracker
from tests.atif_check import check_atif
from tests.fakes.clock import FakeClock
from tests.fakes.messages_api import message_body
from tests.helpers import make_task

pytestmark = pytest.mark.docker
AGENT_PY = Path(__file__).resolve().parents[1] / "task_agent" / "agent.py"
MODEL = "anthropic:claude-haiku-4-5"


def settings(server, tracker=None) -> ModelSettings:
    return ModelSettings(task_model=MODEL, base_url=server.url, tracker=tracker or UsageTracker(),
                         retry=RetryPolicy(max_attempts=3, **FakeClock().policy_kwargs()))


async def run_one(tmp_path, runner, task, model_settings):
    trial_id = new_trial_id(task, 0)
    spec = TrialSpec(task, 0, trial_id, tmp_path / "run" / trial_id)
    return await runner.run(spec, HarnessAgent(AGENT_PY, model_settings)), spec.trial_dir


async def test_tool_use_conversation_through_the_sdk(tmp_path, runner, fake_llm_server):
    task = load_task(make_task(tmp_path, "hello"))
    fake_llm_server.enqueue_error(529, "Overloaded", headers={"retry-after": "0"})
    fake_llm_server.enqueue(message_body(text="Writing it.", tool_uses=[
        {"id": "toolu_01", "name": "run_shell", "input": {"command": "echo hello > /app/out.txt"}}],
        usage={"input_tokens": 900, "output_tokens": 40, "cache_creation_input_tokens": 1200}))
    fake_llm_server.enqueue(message_body(text="Done.", usage={
        "input_tokens": 50, "output_tokens": 10, "cache_read_input_tokens": 1200}))
    tracker = UsageTracker()
    result, trial_dir = await run_one(tmp_path, runner, task, settings(fake_llm_server, tracker))
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    bodies = fake_llm_server.bodies()
    assert len(bodies) == 3  # the 529 was retried once
    second = bodies[2]
    tool_result = second["messages"][-1]["content"][0]
    assert tool_result["type"] == "tool_result" and tool_result["tool_use_id"] == "toolu_01"
    assert second["messages"][1]["content"][-1]["id"] == "toolu_01"  # assistant turn sent back verbatim
    assert second["tools"][0]["name"] == "run_shell"
    assert result.usage["cache_read_tokens"] == 1200 and result.usage["cache_write_tokens"] == 1200
    assert result.usage["cost_usd"] > 0
    assert tracker.cost_by_role()["task"] == pytest.approx(result.usage["cost_usd"], rel=1e-3)
    doc = json.loads((trial_dir / "agent" / "trajectory.json").read_text())
    check_atif(doc)
    final = doc["final_metrics"]
    assert (final["total_prompt_tokens"], final["total_completion_tokens"], final["total_cached_tokens"]) == (
        900 + 1200 + 50 + 1200, 40 + 10, 1200)
    assert final["total_cost_usd"] == pytest.approx(result.usage["cost_usd"], abs=1e-6)
    assert final["total_steps"] == len(doc["steps"]) and final["extra"]["duration_sec"] > 0


async def test_persistent_overload_is_an_infra_error_not_a_score(tmp_path, runner, fake_llm_server):
    task = load_task(make_task(tmp_path, "hello"))
    for _ in range(12):
        fake_llm_server.enqueue_error(529, "Overloaded", headers={"retry-after": "0"})
    result, _ = await run_one(tmp_path, runner, task, settings(fake_llm_server))
    assert result.status == TrialStatus.INFRA_ERROR
    assert result.error_kind == "model_unavailable"
    assert result.score is None


async def test_bad_credentials_are_an_infra_error_naming_the_cause(tmp_path, runner, fake_llm_server):
    task = load_task(make_task(tmp_path, "hello"))
    fake_llm_server.enqueue_error(401, "invalid x-api-key")
    result, _ = await run_one(tmp_path, runner, task, settings(fake_llm_server))
    assert (result.status, result.error_kind) == (TrialStatus.INFRA_ERROR, "model_auth")
    assert "invalid x-api-key" in result.error
    assert len(fake_llm_server.requests) == 1  # neither the SDK, our retry layer nor the trial retried


async def test_every_tool_use_is_answered_in_one_user_message(tmp_path, runner, fake_llm_server):
    task = load_task(make_task(tmp_path, "hello"))
    fake_llm_server.enqueue(message_body(text="Two things at once.", tool_uses=[
        {"id": "toolu_a", "name": "run_shell", "input": {"command": "echo hello > /app/out.txt"}},
        {"id": "toolu_b", "name": "no_such_tool", "input": {}}]))
    fake_llm_server.enqueue(message_body(text="Done."))
    result, _ = await run_one(tmp_path, runner, task, settings(fake_llm_server))
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    second = fake_llm_server.bodies()[1]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    results = second["messages"][2]["content"]
    assert [(r["type"], r["tool_use_id"], r["is_error"]) for r in results] == [
        ("tool_result", "toolu_a", False), ("tool_result", "toolu_b", True)]
    assert "unknown tool" in results[1]["content"]
    # The stable prefix is marked for caching: system prompt, tool list, conversation so far.
    assert second["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert second["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert results[-1]["cache_control"] == {"type": "ephemeral"}


async def test_agent_py_can_force_a_tool_call_through_the_jail(tmp_path, runner, fake_llm_server):
    """tool_choice crosses the channel to the SDK; a bad one comes back to agent.py as an error."""
    task = load_task(make_task(tmp_path, "hello"))
    forcing = tmp_path / "agent.py"
    forcing.write_text(AGENT_PY.read_text().replace(
        "thinking=THINKING, effort=EFFORT)", "thinking=THINKING, effort=EFFORT, tool_choice='any')"))
    assert "tool_choice='any'" in forcing.read_text(), "agent.py's model call changed: update this test"
    fake_llm_server.enqueue(message_body(text="", tool_uses=[
        {"id": "toolu_a", "name": "run_shell", "input": {"command": "echo hello > /app/out.txt"}}]))
    fake_llm_server.enqueue(message_body(text="Done."))
    trial_id = new_trial_id(task, 0)
    spec = TrialSpec(task, 0, trial_id, tmp_path / "run" / trial_id)
    result = await runner.run(spec, HarnessAgent(forcing, settings(fake_llm_server)))
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    assert [b.get("tool_choice") for b in fake_llm_server.bodies()] == [{"type": "any"}] * 2

    bad = tmp_path / "bad.py"
    bad.write_text("from task_agent.runtime import ModelError\n"
                   "async def run(ctx):\n"
                   "    try:\n"
                   "        await ctx.model.complete([{'role': 'user', 'content': 'hi'}], tool_choice='all',\n"
                   "                                 tools=[{'name': 't', 'description': 'd',\n"
                   "                                         'input_schema': {'type': 'object'}}])\n"
                   "    except ModelError as exc:\n"
                   "        assert 'none of' in str(exc), exc\n"
                   "    else:\n"
                   "        raise AssertionError('an unknown tool_choice was accepted')\n")
    trial_id = new_trial_id(task, 1)
    spec = TrialSpec(task, 1, trial_id, tmp_path / "run" / trial_id)
    result = await runner.run(spec, HarnessAgent(bad, settings(fake_llm_server)))
    assert result.status == TrialStatus.OK, result.error
    assert len(fake_llm_server.requests) == 2  # the bad call never reached the server

"""Thinking settings and context-window errors across the jail's channel, on the real SDK path."""

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
from tests.fakes.messages_api import chat_completion_body, message_body
from tests.helpers import make_task

pytestmark = pytest.mark.docker
AGENT_PY = Path(__file__).resolve().parents[1] / "task_agent" / "agent.py"
WRITE_HELLO = {"id": "toolu_1", "name": "run_shell", "input": {"command": "echo hello > /app/out.txt"}}

# An agent that, on a context overflow, keeps only the instruction and tries once more.
SHORTENING_AGENT = """
from task_agent.runtime import ContextWindowError, ModelError

async def run(ctx):
    messages = [{"role": "user", "content": ctx.instruction}] * 3
    try:
        await ctx.model.complete(messages, max_tokens=100)
    except ContextWindowError as exc:
        assert isinstance(exc, ModelError) and "prompt is too long" in str(exc), exc
        reply = await ctx.model.complete(messages[:1], max_tokens=100)
        await ctx.env.run("echo " + reply.text + " > /app/out.txt")
    else:
        raise AssertionError("the overflow did not reach agent.py")
"""


async def run_one(tmp_path: Path, runner, server, agent_file: Path, tracker: UsageTracker | None = None,
                  model: str = "anthropic:claude-sonnet-5-5"):
    task = load_task(make_task(tmp_path, "hello"))
    base_url = server.openai_url if model.startswith("openai:") else server.url
    settings = ModelSettings(task_model=model, base_url=base_url,
                             tracker=tracker or UsageTracker(),
                             retry=RetryPolicy(max_attempts=2, **FakeClock().policy_kwargs()))
    trial_id = new_trial_id(task, 0)
    spec = TrialSpec(task, 0, trial_id, tmp_path / "run" / trial_id)
    return await runner.run(spec, HarnessAgent(agent_file, settings)), spec.trial_dir


async def test_agent_py_thinking_settings_reach_the_api_and_thinking_goes_back(tmp_path, runner, fake_llm_server):
    agent = tmp_path / "agent.py"
    source = AGENT_PY.read_text()
    assert "THINKING = None" in source and "EFFORT = None" in source, "agent.py's levers moved: update this test"
    agent.write_text(source.replace("THINKING = None", 'THINKING = "adaptive"').replace("EFFORT = None",
                                                                                       'EFFORT = "high"'))
    fake_llm_server.enqueue(message_body(thinking="Write the file.", signature="c2lnbmVk", tool_uses=[WRITE_HELLO],
                                         thinking_tokens=4, usage={"output_tokens": 30}))
    fake_llm_server.enqueue(message_body(text="Done."))
    result, trial_dir = await run_one(tmp_path, runner, fake_llm_server, agent)
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    first, second = fake_llm_server.bodies()
    for body in (first, second):
        assert body["thinking"] == {"type": "adaptive"} and body["output_config"] == {"effort": "high"}
    assert second["messages"][1]["content"][0] == {"type": "thinking", "thinking": "Write the file.",
                                                   "signature": "c2lnbmVk"}
    assert result.usage["reasoning_tokens"] == 4
    doc = json.loads((trial_dir / "agent" / "trajectory.json").read_text())
    check_atif(doc)
    step = next(s for s in doc["steps"] if s["source"] == "agent")
    assert step["reasoning_effort"] == "high" and step["reasoning_content"] == "Write the file."
    assert step["metrics"]["extra"]["reasoning_tokens"] == 4


async def test_agent_py_effort_reaches_an_openai_model_as_reasoning_effort(tmp_path, runner, fake_llm_server):
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT_PY.read_text().replace("THINKING = None", 'THINKING = "adaptive"')
                     .replace("EFFORT = None", 'EFFORT = "high"'))
    fake_llm_server.enqueue(chat_completion_body(content="Done.", reasoning_tokens=12,
                                                 usage={"completion_tokens": 20}))
    result, _ = await run_one(tmp_path, runner, fake_llm_server, agent, model="openai:gpt-5.5")
    assert result.status == TrialStatus.OK, result.error
    (body,) = fake_llm_server.bodies()
    assert body["reasoning_effort"] == "high" and "thinking" not in body  # chat completions has no thinking
    assert result.usage["reasoning_tokens"] == 12


async def test_a_context_overflow_is_an_error_agent_py_can_catch(tmp_path, runner, fake_llm_server):
    agent = tmp_path / "agent.py"
    agent.write_text(SHORTENING_AGENT)
    fake_llm_server.enqueue_error(400, "prompt is too long: 1000100 tokens > 1000000 maximum")
    fake_llm_server.enqueue(message_body(text="hello"))
    result, _ = await run_one(tmp_path, runner, fake_llm_server, agent)
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), result.error
    assert [len(b["messages"]) for b in fake_llm_server.bodies()] == [3, 1]  # not retried: shortened

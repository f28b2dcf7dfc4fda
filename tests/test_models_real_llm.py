"""Both SDK providers against a real llama.cpp server running SmolLM2-135M.

The model is far too weak to solve anything and its tool calls are messy; the
point is that our providers turn a real server's real output (odd stops,
truncated or absent tool calls) into valid Replies without crashing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.results import TrialStatus
from sandbox.task import load_task
from sandbox.trial import TrialSpec, new_trial_id
from task_agent.host import HarnessAgent, ModelSettings
from models.messages import STOP_REASONS, Reply, tool_result
from models import ModelContextError, RetryPolicy, UsageTracker, create_model
from tests.atif_check import check_atif
from tests.fakes.llama_server import running_llama_server
from tests.helpers import make_task

pytestmark = pytest.mark.slow

SYSTEM = "You are a helpful assistant. Use the read_file tool to read files."
TOOLS = [
    {
        "name": "read_file",
        "description": "Read a text file and return its contents.",
        "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
    }
]
# A worked example first, so the request carries tool_use and tool_result blocks
# the server must accept, and the model sees the <tool_call> pattern.
HISTORY = [
    {"role": "user", "content": "Read /tmp/a.txt"},
    {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "/tmp/a.txt"}}
        ],
    },
    {"role": "user", "content": [tool_result("toolu_1", "hello")]},
    {"role": "assistant", "content": [{"type": "text", "text": "The file says hello."}]},
    {"role": "user", "content": "Now read /tmp/b.txt"},
]


AGENT_PY = Path(__file__).resolve().parents[1] / "task_agent" / "agent.py"


@pytest.fixture(scope="module")
def llama_url():
    with running_llama_server(n_ctx=4096) as url:
        yield url


def base_url_for(provider: str, llama_url: str) -> str:
    return llama_url if provider == "anthropic" else f"{llama_url}/v1"


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)


def assert_valid(reply: Reply, name: str) -> None:
    assert isinstance(reply, Reply) and reply.model == name
    assert reply.stop_reason in STOP_REASONS
    assert reply.usage.prompt_tokens > 0 and reply.usage.output_tokens > 0
    assert all(isinstance(block.get("type"), str) for block in reply.content)
    for call in reply.tool_calls:  # never raises, even on truncated JSON
        assert call.id and isinstance(call.arguments, dict)


def answer(reply: Reply) -> dict:
    """The user turn that follows ``reply``: one tool_result per call, or a nudge."""
    if reply.tool_calls:
        return {
            "role": "user",
            "content": [
                tool_result(
                    c.id,
                    f"bad arguments: {c.parse_error}" if c.parse_error else "world",
                    is_error=bool(c.parse_error),
                )
                for c in reply.tool_calls
            ],
        }
    return {"role": "user", "content": "Please answer in one word."}


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_short_conversation_with_a_tool(llama_url, provider):
    name = f"{provider}:smollm2-135m"
    base_url = base_url_for(provider, llama_url)
    tracker = UsageTracker()
    model = create_model(
        name,
        base_url=base_url,
        tracker=tracker,
        retry=RetryPolicy(max_attempts=2, base_delay=0.1, request_timeout=120),
    )
    try:
        messages = list(HISTORY)
        for _ in range(2):
            reply = await model.complete(messages, system=SYSTEM, tools=TOOLS, max_tokens=24)
            assert_valid(reply, name)
            # An empty assistant turn is invalid for the Messages API: say so explicitly.
            messages.append(
                {"role": "assistant", "content": reply.content or [{"type": "text", "text": "(empty)"}]}
            )
            messages.append(answer(reply))
    finally:
        await model.aclose()

    totals = tracker.total(role="task", model=name)
    assert totals.calls == 2 and totals.usage.output_tokens > 0 and totals.cost_usd == 0
    assert tracker.unpriced_models() == {name}  # a local model has no price: flagged, not guessed


# What a server that does not know a setting must do with it: ignore it and answer.
SETTINGS = {"anthropic": [{"thinking": "adaptive", "effort": "low"}, {"thinking": 1024, "effort": "max"},
                          {"thinking": "off"}],
            "openai": [{"effort": "high", "temperature": 0.2, "thinking": "adaptive"}, {"effort": "none"}]}


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_thinking_settings_are_harmless_to_a_server_that_ignores_them(llama_url, provider):
    name = f"{provider}:smollm2-135m"
    model = create_model(name, base_url=base_url_for(provider, llama_url),
                         retry=RetryPolicy(max_attempts=2, base_delay=0.1, request_timeout=120))
    try:
        for settings in SETTINGS[provider]:
            max_tokens = 1040 if isinstance(settings.get("thinking"), int) else 16
            reply = await model.complete(HISTORY, system=SYSTEM, tools=TOOLS, max_tokens=max_tokens, **settings)
            assert_valid(reply, name)
    finally:
        await model.aclose()


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_a_real_context_overflow_is_a_typed_error(llama_url, provider):
    model = create_model(f"{provider}:smollm2-135m", base_url=base_url_for(provider, llama_url),
                         retry=RetryPolicy(max_attempts=1, request_timeout=120))
    try:
        with pytest.raises(ModelContextError, match="context size"):
            await model.complete([{"role": "user", "content": "word " * 9000}], max_tokens=16)
    finally:
        await model.aclose()


def small_agent(tmp_path: Path) -> Path:
    """The real agent.py with budgets a 135M model on two cores can meet."""
    text = AGENT_PY.read_text()
    for old, new in (("MAX_TURNS = 10", "MAX_TURNS = 3"), ("MAX_TOKENS = 4096", "MAX_TOKENS = 48"),
                     ("OUTPUT_LIMIT = 8000", "OUTPUT_LIMIT = 1000")):
        assert old in text, f"agent.py no longer has {old!r}: update this test"
        text = text.replace(old, new)
    path = tmp_path / "agent.py"
    path.write_text(text)
    return path


@pytest.mark.docker
@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_the_agent_loop_survives_a_real_server(tmp_path, runner, llama_url, provider):
    name = f"{provider}:smollm2-135m"
    task = load_task(make_task(tmp_path, "hello", toml="[agent]\ntimeout_sec = 300\n"))
    settings = ModelSettings(task_model=name, base_url=base_url_for(provider, llama_url),
                             retry=RetryPolicy(max_attempts=2, base_delay=0.1, request_timeout=120))
    trial_id = new_trial_id(task, 0)
    spec = TrialSpec(task, 0, trial_id, tmp_path / "run" / trial_id)
    result = await runner.run(spec, HarnessAgent(small_agent(tmp_path), settings))
    # Whatever the model wrote, the loop ran to its end: no crash, no infra error.
    assert result.status == TrialStatus.OK, result.error
    assert result.model == name and 1 <= result.usage["model_calls"] <= 3
    assert result.usage["output_tokens"] > 0
    doc = json.loads((spec.trial_dir / "agent" / "trajectory.json").read_text())
    check_atif(doc)
    for step in doc["steps"]:  # every tool call, however messy, got an answer
        calls = sorted(c["tool_call_id"] for c in step.get("tool_calls") or [])
        assert calls == sorted(r["source_call_id"] for r in (step.get("observation") or {}).get("results", []))

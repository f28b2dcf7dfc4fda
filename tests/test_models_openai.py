"""The openai provider: format conversion, and the real SDK against a local fake server."""

from __future__ import annotations

import pytest

from models.messages import Reply, tool_result
from models import (
    ModelAuthError,
    ModelConfigError,
    ModelUnavailableError,
    RetryPolicy,
    UsageTracker,
    create_model,
)
from models.openai_client import max_tokens_field
from models.openai_convert import (
    TOOL_ERROR_PREFIX,
    from_chat_completion,
    to_chat_messages,
    to_chat_tools,
)
from tests.fakes.clock import FakeClock
from tests.fakes.messages_api import FakeLLMServer, chat_completion_body

MODEL = "openai:gpt-4.1-mini"
TOOLS = [
    {
        "name": "bash",
        "description": "Run a shell command.",
        "input_schema": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
    }
]


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server():
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def model(server: FakeLLMServer, clock: FakeClock):
    client = create_model(
        MODEL,
        base_url=server.openai_url,
        tracker=UsageTracker(),
        retry=RetryPolicy(jitter=0, **clock.policy_kwargs()),
    )
    yield client
    await client.aclose()


# --- conversion, no server ---------------------------------------------------


def test_canonical_conversation_to_chat_messages():
    messages = [
        {"role": "user", "content": "List files."},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hidden", "signature": "s"},
                {"type": "text", "text": "Running two commands."},
                {"type": "tool_use", "id": "c1", "name": "bash", "input": {"cmd": "ls"}},
                {"type": "tool_use", "id": "c2", "name": "bash", "input": {}, "_parse_error": "truncated"},
            ],
        },
        {
            "role": "user",
            "content": [
                tool_result("c1", "a.txt"),
                tool_result("c2", "arguments were not JSON", is_error=True),
                {"type": "text", "text": "Keep going."},
            ],
        },
    ]
    chat = to_chat_messages(messages, system="Be brief.")
    assert chat == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "List files."},
        {
            "role": "assistant",
            "content": "Running two commands.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": '{"cmd": "ls"}'}},
                {"id": "c2", "type": "function", "function": {"name": "bash", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "a.txt"},
        {"role": "tool", "tool_call_id": "c2", "content": TOOL_ERROR_PREFIX + "arguments were not JSON"},
        {"role": "user", "content": "Keep going."},
    ]


def test_tool_result_with_block_content_and_tools():
    chat = to_chat_messages(
        [
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "x", "content": [{"type": "text", "text": "hi"}]}
                ],
            }
        ]
    )
    assert chat == [{"role": "tool", "tool_call_id": "x", "content": "hi"}]
    assert to_chat_tools(TOOLS) == [
        {
            "type": "function",
            "function": {
                "name": "bash",
                "description": "Run a shell command.",
                "parameters": TOOLS[0]["input_schema"],
            },
        }
    ]


def test_truncated_arguments_do_not_crash():
    body = chat_completion_body(
        tool_calls=[{"id": "c1", "name": "bash", "arguments": '{"cmd": "ls -'}], finish_reason="length"
    )
    content, stop, _ = from_chat_completion(body)
    assert stop == "max_tokens"
    assert content[0]["input"] == {} and "not valid JSON" in content[0]["_parse_error"]
    call = Reply(content=content, stop_reason=stop).tool_calls[0]
    assert call.arguments == {} and call.parse_error and call.name == "bash"


def test_non_object_arguments_and_missing_ids():
    body = chat_completion_body(
        tool_calls=[{"id": "", "name": "bash", "arguments": "[1, 2]"}], finish_reason="tool_calls"
    )
    content, stop, _ = from_chat_completion(body)
    assert stop == "tool_use"
    assert content[0]["id"] == "chatcmpl-fake_0"
    assert "not a JSON object" in content[0]["_parse_error"]


@pytest.mark.parametrize(
    ("finish", "calls", "expected"),
    [
        ("stop", False, "end_turn"),
        ("length", False, "max_tokens"),
        ("tool_calls", True, "tool_use"),
        ("stop", True, "tool_use"),  # Ollama's habit
        ("content_filter", False, "refusal"),
        (None, False, "other"),
    ],
)
def test_finish_reasons_are_mapped(finish, calls, expected):
    tool_calls = [{"id": "c", "name": "bash", "arguments": "{}"}] if calls else None
    body = chat_completion_body(content="x", tool_calls=tool_calls, finish_reason=finish)
    assert from_chat_completion(body)[1] == expected


def test_usage_with_cached_tokens_and_reasoning():
    body = chat_completion_body(
        content="done",
        reasoning="thinking it over",
        usage={
            "prompt_tokens": 1000,
            "completion_tokens": 40,
            "prompt_tokens_details": {"cached_tokens": 800},
        },
    )
    content, _, usage = from_chat_completion(body)
    assert content == [{"type": "thinking", "thinking": "thinking it over"}, {"type": "text", "text": "done"}]
    assert (usage.input_tokens, usage.cache_read_tokens, usage.output_tokens) == (200, 800, 40)
    assert usage.prompt_tokens == 1000


def test_no_choices_is_an_error():
    with pytest.raises(ValueError, match="no choices"):
        from_chat_completion({"choices": []})


# --- the real SDK against the fake server ---------------------------------------


async def test_tool_round_trip_through_the_sdk(server, model):
    server.enqueue(
        chat_completion_body(
            content=None,
            tool_calls=[{"id": "call_1", "name": "bash", "arguments": '{"cmd": "ls"}'}],
            finish_reason="tool_calls",
        )
    )
    server.enqueue(
        chat_completion_body(
            content="Two files.", usage={"prompt_tokens": 50, "prompt_tokens_details": {"cached_tokens": 30}}
        )
    )
    messages = [{"role": "user", "content": "What is here?"}]

    first = await model.complete(messages, system="Be brief.", tools=TOOLS, max_tokens=100)
    assert first.stop_reason == "tool_use" and first.tool_calls[0].arguments == {"cmd": "ls"}
    messages += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [tool_result("call_1", "a\nb")]},
    ]
    second = await model.complete(messages, system="Be brief.", tools=TOOLS, max_tokens=100)

    assert second.text == "Two files." and second.stop_reason == "end_turn"
    assert second.usage.cache_read_tokens == 30 and second.usage.input_tokens == 20
    sent = server.bodies("/v1/chat/completions")[1]
    assert sent["model"] == "gpt-4.1-mini"
    assert sent["max_tokens"] == 100 and "max_completion_tokens" not in sent  # compatible-server field
    assert sent["tools"][0]["function"]["name"] == "bash"
    assert sent["messages"][2]["tool_calls"][0]["id"] == "call_1"
    assert sent["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "a\nb"}
    assert server.requests[0].headers["authorization"] == "Bearer not-needed"


async def test_truncated_tool_call_from_the_server_yields_a_parse_error(server, model):
    server.enqueue(
        chat_completion_body(
            tool_calls=[{"id": "c", "name": "bash", "arguments": '{"cmd": "echo'}], finish_reason="length"
        )
    )
    reply = await model.complete([{"role": "user", "content": "go"}], tools=TOOLS, max_tokens=8)
    assert reply.stop_reason == "max_tokens"
    assert reply.tool_calls[0].parse_error


async def test_rate_limit_then_success_honours_retry_after_ms(server, model, clock):
    server.enqueue_error(429, "Rate limit reached", headers={"retry-after-ms": "1500"}, openai=True)
    server.enqueue(chat_completion_body(content="ok"))
    reply = await model.complete([{"role": "user", "content": "hi"}], max_tokens=10)
    assert reply.text == "ok" and clock.sleeps == [1.5]


async def test_server_errors_exhaust_into_unavailable(server, clock):
    for _ in range(2):
        server.enqueue_error(502, "bad gateway", openai=True)
    client = create_model(
        MODEL, base_url=server.openai_url, retry=RetryPolicy(max_attempts=2, **clock.policy_kwargs())
    )
    with pytest.raises(ModelUnavailableError) as caught:
        await client.complete([{"role": "user", "content": "hi"}], max_tokens=10)
    await client.aclose()
    assert caught.value.status == 502 and caught.value.attempts == 2 and "bad gateway" in str(caught.value)


async def test_401_is_an_auth_error(server, model):
    server.enqueue_error(401, "Incorrect API key provided", openai=True)
    with pytest.raises(ModelAuthError) as caught:
        await model.complete([{"role": "user", "content": "hi"}], max_tokens=10)
    assert "Incorrect API key" in str(caught.value) and "OPENAI_API_KEY" in str(caught.value)
    assert len(server.requests) == 1


async def test_usage_is_recorded_and_priced(server, clock):
    tracker = UsageTracker()
    server.enqueue(
        chat_completion_body(content="ok", usage={"prompt_tokens": 1000, "completion_tokens": 100})
    )
    client = create_model(MODEL, base_url=server.openai_url, tracker=tracker, role="judge")
    reply = await client.complete([{"role": "user", "content": "hi"}], max_tokens=10)
    await client.aclose()
    assert reply.cost_usd == pytest.approx((1000 * 0.40 + 100 * 1.60) / 1e6)
    assert tracker.cost_by_role() == {"judge": pytest.approx(reply.cost_usd)}


def test_missing_key_names_the_variable():
    with pytest.raises(ModelConfigError, match="OPENAI_API_KEY"):
        create_model(MODEL)


async def test_key_and_base_url_come_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    server.enqueue(chat_completion_body(content="ok"))
    client = create_model(MODEL)
    await client.complete([{"role": "user", "content": "hi"}], max_tokens=10)
    await client.aclose()
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"
    assert server.bodies()[0]["max_tokens"] == 10


@pytest.mark.parametrize(
    ("base_url", "field"),
    [
        (None, "max_completion_tokens"),
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("http://127.0.0.1:8000/v1", "max_tokens"),
        ("http://localhost:11434/v1", "max_tokens"),
    ],
)
def test_max_tokens_field_depends_on_the_endpoint(base_url, field):
    assert max_tokens_field(base_url) == field


async def test_tool_choice_maps_to_chat_completions(server, model):
    messages = [{"role": "user", "content": "Go."}]
    for choice, sent in (("any", "required"), ("none", "none"), (None, None),
                         ("bash", {"type": "function", "function": {"name": "bash"}})):
        server.enqueue(chat_completion_body(content="ok"))
        await model.complete(messages, tools=TOOLS, max_tokens=50, tool_choice=choice)
        assert server.bodies("/v1/chat/completions")[-1].get("tool_choice") == sent, choice

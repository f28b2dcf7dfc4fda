"""The anthropic provider, driven through the real SDK against a local fake Messages API."""

from __future__ import annotations

import pytest

from models.messages import tool_result
from models import (
    ModelAuthError,
    ModelConfigError,
    ModelRequestError,
    ModelUnavailableError,
    RetryPolicy,
    UsageTracker,
    create_model,
)
from tests.fakes.clock import FakeClock
from tests.fakes.messages_api import FakeLLMServer, message_body

# Haiku 4.5: priced in the default table, and not on the SDK's deprecation list.
MODEL = "anthropic:claude-haiku-4-5"
TOOLS = [
    {
        "name": "bash",
        "description": "Run a shell command.",
        "input_schema": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
    },
    {"name": "finish", "description": "Stop.", "input_schema": {"type": "object", "properties": {}}},
]


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server():
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client_for(server: FakeLLMServer, clock: FakeClock):
    """Build clients on the fake server with an instant clock; all closed at teardown."""
    clients = []

    def build(tracker: UsageTracker | None = None, **policy):
        retry = RetryPolicy(jitter=0, **clock.policy_kwargs(), **policy)
        clients.append(create_model(MODEL, base_url=server.url, tracker=tracker, retry=retry))
        return clients[-1]

    yield build
    for client in clients:
        await client.aclose()


async def test_tool_use_conversation_sends_blocks_per_contract(server, clock, client_for):
    server.enqueue(
        message_body(
            thinking="I should list files.",
            text="Let me look.",
            tool_uses=[{"id": "toolu_01", "name": "bash", "input": {"cmd": "ls"}}],
        )
    )
    server.enqueue(message_body(text="There are two files."))
    model = client_for()
    messages = [{"role": "user", "content": "What is here?"}]

    first = await model.complete(messages, system="You are careful.", tools=TOOLS, max_tokens=512)
    assert first.stop_reason == "tool_use"
    assert [(c.id, c.name, c.arguments) for c in first.tool_calls] == [("toolu_01", "bash", {"cmd": "ls"})]
    assert first.reasoning == "I should list files."
    assert first.content[0] == {"type": "thinking", "thinking": "I should list files.", "signature": "sig-20"}

    messages.append({"role": "assistant", "content": first.content})
    messages.append({"role": "user", "content": [tool_result("toolu_01", "a.txt\nb.txt")]})
    second = await model.complete(messages, system="You are careful.", tools=TOOLS, max_tokens=512)

    assert second.text == "There are two files." and second.stop_reason == "end_turn"
    sent = server.bodies("/v1/messages")[1]
    assert sent["model"] == "claude-haiku-4-5" and sent["max_tokens"] == 512
    # The assistant turn goes back verbatim (thinking signature intact), and the
    # one tool_result answers its tool_use id.
    assert sent["messages"][1] == {"role": "assistant", "content": first.content}
    result_block = sent["messages"][2]["content"][0]
    assert result_block["type"] == "tool_result" and result_block["tool_use_id"] == "toolu_01"
    assert result_block["content"] == "a.txt\nb.txt" and result_block["is_error"] is False
    # Cache breakpoints: system end, last tool, last block of the last message; nothing else.
    assert sent["system"] == [
        {"type": "text", "text": "You are careful.", "cache_control": {"type": "ephemeral"}}
    ]
    assert "cache_control" not in sent["tools"][0] and sent["tools"][1]["cache_control"] == {
        "type": "ephemeral"
    }
    assert result_block["cache_control"] == {"type": "ephemeral"}
    assert str(sent).count("cache_control") == 3
    # Our own conversation was not mutated by the cache markers.
    assert "cache_control" not in str(messages)


async def test_private_parse_error_keys_are_not_sent(server, clock, client_for):
    server.enqueue(message_body(text="ok"))
    model = client_for()
    history = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "bash", "input": {}, "_parse_error": "truncated"}
            ],
        },
        {"role": "user", "content": [tool_result("t1", "bad arguments", is_error=True)]},
    ]
    await model.complete(history, tools=TOOLS, max_tokens=64)
    sent = server.bodies()[0]
    assert "_parse_error" not in str(sent)
    assert "system" not in sent  # no empty system prompt is sent
    assert sent["messages"][2]["content"][0]["is_error"] is True


async def test_529_then_success_is_retried_honouring_retry_after(server, clock, client_for):
    server.enqueue_error(529, "Overloaded", headers={"retry-after": "3"})
    server.enqueue_error(503, "unavailable", headers={"retry-after-ms": "250"})
    server.enqueue(message_body(text="back"))
    model = client_for()

    reply = await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)

    assert reply.text == "back"
    assert clock.sleeps == [3.0, 0.25]
    assert len(server.requests) == 3


async def test_retry_after_is_capped(server, clock, client_for):
    server.enqueue_error(429, "slow down", headers={"retry-after": "86400"})
    server.enqueue(message_body(text="ok"))
    model = client_for(max_retry_after=30)
    await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    assert clock.sleeps == [30.0]


async def test_persistent_overload_becomes_unavailable_after_the_policy(server, clock, client_for):
    for _ in range(4):
        server.enqueue_error(529, "Overloaded")
    model = client_for(max_attempts=4, base_delay=1.0)

    with pytest.raises(ModelUnavailableError) as caught:
        await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)

    assert caught.value.status == 529 and caught.value.attempts == 4
    assert caught.value.provider == "anthropic"
    assert "Overloaded" in str(caught.value)
    assert clock.sleeps == [1.0, 2.0, 4.0]  # exponential, no SDK retries underneath
    assert len(server.requests) == 4


async def test_deadline_stops_retrying_before_max_attempts(server, clock, client_for):
    for _ in range(3):
        server.enqueue_error(500, "boom")
    model = client_for(max_attempts=10, base_delay=10.0, deadline=25.0)
    with pytest.raises(ModelUnavailableError) as caught:
        await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    assert clock.sleeps == [10.0]  # 10 + 20 would pass the 25 s deadline
    assert caught.value.attempts == 2


async def test_dropped_connection_is_retried(server, clock, client_for):
    server.enqueue_disconnect()
    server.enqueue(message_body(text="ok"))
    model = client_for()
    reply = await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    assert reply.text == "ok" and len(clock.sleeps) == 1


async def test_a_request_timeout_is_retried(server, clock, client_for):
    # One attempt may take at least 1 s (the retry layer's floor): the first answer comes too late.
    server.enqueue(message_body(text="too late"), delay=2.5)
    server.enqueue(message_body(text="in time"))
    model = client_for(request_timeout=0.5)
    reply = await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    assert reply.text == "in time"
    assert len(server.requests) == 2 and len(clock.sleeps) == 1


async def test_401_is_not_retried_and_names_the_key(server, clock, client_for):
    server.enqueue_error(401, "invalid x-api-key")
    server.enqueue(message_body(text="never served"))
    model = client_for()

    with pytest.raises(ModelAuthError) as caught:
        await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)

    assert caught.value.status == 401
    assert "invalid x-api-key" in str(caught.value) and "ANTHROPIC_API_KEY" in str(caught.value)
    assert len(server.requests) == 1 and clock.sleeps == []


async def test_400_is_a_request_error_not_retried(server, clock, client_for):
    server.enqueue_error(400, "prompt is too long: 250000 tokens > 200000 maximum")
    model = client_for()
    with pytest.raises(ModelRequestError) as caught:
        await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    assert "prompt is too long" in caught.value.message and caught.value.status == 400
    assert len(server.requests) == 1


async def test_usage_and_cost_with_cache_tokens_go_to_the_tracker(server, clock, client_for):
    usage = {
        "input_tokens": 100,
        "output_tokens": 50,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
    }
    server.enqueue(message_body(text="a", usage=usage))
    server.enqueue(message_body(text="b", usage=usage))
    tracker = UsageTracker()
    model = client_for(tracker=tracker)

    reply = await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)

    assert (reply.usage.input_tokens, reply.usage.cache_read_tokens, reply.usage.cache_write_tokens) == (
        100,
        1000,
        200,
    )
    expected = (100 * 1.0 + 50 * 5.0 + 1000 * 0.10 + 200 * 1.25) / 1e6
    assert reply.cost_usd == pytest.approx(expected)
    totals = tracker.total(role="task", model=MODEL)
    assert totals.calls == 2 and totals.usage.cache_read_tokens == 2000
    assert tracker.cost_by_role() == {"task": pytest.approx(2 * expected)}


async def test_failed_calls_record_nothing(server, clock, client_for):
    server.enqueue_error(401, "no")
    tracker = UsageTracker()
    model = client_for(tracker=tracker)
    with pytest.raises(ModelAuthError):
        await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    assert tracker.total().calls == 0


@pytest.mark.parametrize(
    ("api_reason", "canonical"),
    [("model_context_window_exceeded", "max_tokens"), ("pause_turn", "other"), ("refusal", "refusal")],
)
async def test_stop_reasons_are_mapped(server, clock, client_for, api_reason, canonical):
    server.enqueue(message_body(text="x", stop_reason=api_reason))
    reply = await client_for().complete([{"role": "user", "content": "hi"}], max_tokens=32)
    assert reply.stop_reason == canonical


def test_missing_api_key_names_the_variable():
    with pytest.raises(ModelConfigError) as caught:
        create_model(MODEL)
    assert "ANTHROPIC_API_KEY" in str(caught.value) and "ANTHROPIC_BASE_URL" in str(caught.value)


async def test_key_and_base_url_come_from_the_environment(server, clock, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    server.enqueue(message_body(text="ok"))
    model = create_model(MODEL, retry=RetryPolicy(**clock.policy_kwargs()))
    await model.complete([{"role": "user", "content": "hi"}], max_tokens=32)
    await model.aclose()
    headers = server.requests[0].headers
    # SDK 2.x sends the key as a bearer token.
    assert "sk-ant-test" in (headers.get("x-api-key", "") + headers.get("authorization", ""))


async def test_tool_choice_is_sent_per_the_api_and_checked_first(server, client_for):
    client = client_for()
    messages = [{"role": "user", "content": "Go."}]
    for choice, sent in (("any", {"type": "any"}), ("finish", {"type": "tool", "name": "finish"}),
                         ("none", {"type": "none"}), ("auto", None), (None, None)):
        server.enqueue(message_body(text="ok"))
        await client.complete(messages, tools=TOOLS, max_tokens=50, tool_choice=choice)
        assert server.bodies("/v1/messages")[-1].get("tool_choice") == sent, choice
    calls = len(server.requests)
    with pytest.raises(ModelRequestError, match="'nope' is none of"):
        await client.complete(messages, tools=TOOLS, max_tokens=50, tool_choice="nope")
    with pytest.raises(ModelRequestError, match="needs tools"):
        await client.complete(messages, max_tokens=50, tool_choice="any")
    assert len(server.requests) == calls  # refused before anything was sent

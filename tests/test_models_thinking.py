"""Thinking, effort and temperature through both real SDKs, asserted on the bodies they send."""

from __future__ import annotations

import pytest

from models import ModelContextError, ModelRequestError, RetryPolicy, UsageTracker, create_model
from models.messages import tool_result
from tests.fakes.clock import FakeClock
from tests.fakes.messages_api import chat_completion_body, message_body

TOOLS = [{"name": "bash", "description": "Run a command.",
          "input_schema": {"type": "object", "properties": {"cmd": {"type": "string"}}}}]
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def build(fake_llm_server):
    clients = []

    def make(name: str, tracker: UsageTracker | None = None):
        url = fake_llm_server.openai_url if name.startswith("openai:") else fake_llm_server.url
        retry = RetryPolicy(jitter=0, **FakeClock().policy_kwargs())
        clients.append(create_model(name, base_url=url, tracker=tracker, retry=retry))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


@pytest.mark.parametrize(("thinking", "effort", "sent_thinking", "sent_config"), [
    ("adaptive", "high", {"type": "adaptive"}, {"effort": "high"}),
    (2048, None, {"type": "enabled", "budget_tokens": 2048}, None),
    ("off", "low", {"type": "disabled"}, {"effort": "low"}),
    (None, "max", None, {"effort": "max"}),
    (None, None, None, None),
])
async def test_anthropic_thinking_and_effort_in_the_request_body(fake_llm_server, build, thinking, effort,
                                                                 sent_thinking, sent_config):
    fake_llm_server.enqueue(message_body(text="ok"))
    await build("anthropic:claude-opus-5-5").complete(HI, max_tokens=4096, thinking=thinking, effort=effort)
    body = fake_llm_server.bodies("/v1/messages")[-1]
    assert body.get("thinking") == sent_thinking
    assert body.get("output_config") == sent_config
    assert "temperature" not in body and "reasoning_effort" not in body


async def test_signed_thinking_blocks_go_back_verbatim_with_the_tool_results(fake_llm_server, build):
    # Thinking with tools: the API checks the signed thinking of the last assistant turn.
    fake_llm_server.enqueue(message_body(
        thinking="The listing first.", signature="EqQBCkYIBxgCKkD+opaque/signature==", redacted="ENCRYPTED+blob",
        tool_uses=[{"id": "toolu_1", "name": "bash", "input": {"cmd": "ls"}}], thinking_tokens=3))
    fake_llm_server.enqueue(message_body(thinking="", signature="sig-omitted-display", text="Two files."))
    tracker = UsageTracker()
    model = build("anthropic:claude-sonnet-5-5", tracker)
    messages: list[dict] = [{"role": "user", "content": "What is here?"}]

    first = await model.complete(messages, tools=TOOLS, max_tokens=8000, thinking="adaptive")
    assert first.content[:2] == [
        {"type": "thinking", "thinking": "The listing first.", "signature": "EqQBCkYIBxgCKkD+opaque/signature=="},
        {"type": "redacted_thinking", "data": "ENCRYPTED+blob"}]
    messages += [{"role": "assistant", "content": first.content},
                 {"role": "user", "content": [tool_result("toolu_1", "a\nb")]}]
    second = await model.complete(messages, tools=TOOLS, max_tokens=8000, thinking="adaptive")

    sent = fake_llm_server.bodies("/v1/messages")[1]
    assert sent["messages"][1] == {"role": "assistant", "content": first.content}  # byte for byte
    assert "cache_control" not in str(sent["messages"][1])  # the API refuses it on thinking blocks
    assert second.content[0] == {"type": "thinking", "thinking": "", "signature": "sig-omitted-display"}
    assert first.usage.reasoning_tokens == 3 and first.reasoning == "The listing first."
    assert tracker.total().usage.reasoning_tokens == 3  # counted, inside output_tokens


@pytest.mark.parametrize(("settings", "complaint"), [
    ({"temperature": 0.2}, "takes no temperature"),
    ({"effort": "minimal"}, "not one of the Messages API's"),
    ({"thinking": 4096}, "below max_tokens"),
    ({"thinking": 512}, "at least 1024"),
    ({"thinking": "sometimes"}, "is none of"),
    ({"thinking": True}, "is none of"),
    ({"thinking": "adaptive", "tool_choice": "any"}, "cannot be combined with thinking"),
    ({"effort": "extreme"}, "is none of"),
])
async def test_anthropic_refuses_settings_it_cannot_send_before_sending(fake_llm_server, build, settings,
                                                                        complaint):
    with pytest.raises(ModelRequestError, match=complaint):
        await build("anthropic:claude-opus-5-5").complete(HI, tools=TOOLS, max_tokens=4096, **settings)
    assert fake_llm_server.requests == []


async def test_openai_reasoning_effort_and_temperature_in_the_request_body(fake_llm_server, build):
    fake_llm_server.enqueue(chat_completion_body(content="ok", reasoning_tokens=40,
                                                 usage={"completion_tokens": 50}))
    fake_llm_server.enqueue(chat_completion_body(content="ok"))
    tracker = UsageTracker()
    model = build("openai:gpt-5.5", tracker)
    reply = await model.complete(HI, max_tokens=500, thinking="adaptive", effort="xhigh")
    await model.complete(HI, max_tokens=500, temperature=0.3, effort="none")
    first, second = fake_llm_server.bodies("/v1/chat/completions")
    assert first["reasoning_effort"] == "xhigh" and "thinking" not in first and "temperature" not in first
    assert second["reasoning_effort"] == "none" and second["temperature"] == 0.3
    assert reply.usage.reasoning_tokens == 40 and reply.usage.output_tokens == 50
    assert tracker.total().usage.reasoning_tokens == 40


async def test_openai_without_settings_sends_none_of_them(fake_llm_server, build):
    fake_llm_server.enqueue(chat_completion_body(content="ok"))
    await build("openai:gpt-6-sol").complete(HI, max_tokens=50)
    body = fake_llm_server.bodies()[0]
    assert not {"reasoning_effort", "temperature", "thinking"} & set(body)


async def test_scripted_model_records_the_settings(tmp_path):
    model = create_model("scripted:" + str(_script(tmp_path)))
    await model.complete(HI, max_tokens=2000, thinking=1024, effort="high")
    assert {k: model.requests[0][k] for k in ("thinking", "effort", "temperature")} == {
        "thinking": 1024, "effort": "high", "temperature": None}
    with pytest.raises(ModelRequestError, match="below max_tokens"):
        await model.complete(HI, max_tokens=1000, thinking=1024)


@pytest.mark.parametrize(("name", "status", "body_error"), [
    ("anthropic:claude-sonnet-5-5", 400,
     {"type": "error", "error": {"type": "invalid_request_error",
                                 "message": "prompt is too long: 1000123 tokens > 1000000 maximum"}}),
    ("openai:gpt-5.5", 400, {"error": {"message": "This model's maximum context length is 1000000 tokens.",
                                       "type": "invalid_request_error", "code": "context_length_exceeded"}}),
    ("openai:smollm2", 400, {"error": {"code": 400, "message": "the request exceeds the available context size",
                                       "type": "exceed_context_size_error"}}),
])
async def test_a_context_overflow_is_a_typed_request_error(fake_llm_server, build, name, status, body_error):
    fake_llm_server.enqueue(body_error, status=status)
    with pytest.raises(ModelContextError) as caught:
        await build(name).complete(HI, max_tokens=50)
    assert isinstance(caught.value, ModelRequestError) and caught.value.status == 400
    assert len(fake_llm_server.requests) == 1  # not retried


async def test_other_bad_requests_are_not_context_errors(fake_llm_server, build):
    fake_llm_server.enqueue_error(400, "max_tokens: must be at least 1")
    with pytest.raises(ModelRequestError) as caught:
        await build("anthropic:claude-sonnet-5-5").complete(HI, max_tokens=50)
    assert not isinstance(caught.value, ModelContextError)


def _script(tmp_path):
    path = tmp_path / "script.json"
    path.write_text('[{"text": "one"}]')
    return path

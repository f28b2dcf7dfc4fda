"""The reviewer with thinking on, through the real anthropic SDK: what it sends and what it reads."""

from __future__ import annotations

from meta.gates.reviewer import REFLECT_MAX_TOKENS, reflect
from models import RetryPolicy, create_model
from models.base import THINKING_ROOM
from tests.fakes.messages_api import message_body

DIFF = "--- a/agent.py\n+++ b/agent.py\n@@ -1 +1,2 @@\n MAX_TURNS = 40\n+CHECK = True\n"
VERDICT = {"id": "toolu_v", "name": "verdict", "input": {"worthwhile": True, "reason": "A general habit."}}


async def judge_on(server, **settings):
    judge = create_model("anthropic:claude-opus-5-5", role="judge", base_url=server.url,
                         retry=RetryPolicy(max_attempts=1))
    try:
        return await reflect(judge, diff=DIFF, description="check work", hypothesis="h", **settings)
    finally:
        await judge.aclose()


async def test_a_thinking_judge_thinks_and_is_not_forced_to_call_the_tool(fake_llm_server):
    fake_llm_server.enqueue(message_body(thinking="Is this general? Yes.", signature="sig==", tool_uses=[VERDICT]))
    verdict = await judge_on(fake_llm_server, thinking="adaptive", effort="high")
    assert verdict.worthwhile and verdict.reason == "A general habit."
    body = fake_llm_server.bodies()[0]
    assert body["thinking"] == {"type": "adaptive"} and body["output_config"] == {"effort": "high"}
    assert "tool_choice" not in body  # the Messages API refuses a forced tool with thinking
    assert body["max_tokens"] == REFLECT_MAX_TOKENS + THINKING_ROOM


async def test_a_judge_without_thinking_is_forced_to_the_verdict_tool(fake_llm_server):
    fake_llm_server.enqueue(message_body(tool_uses=[VERDICT]))
    assert (await judge_on(fake_llm_server)).worthwhile
    body = fake_llm_server.bodies()[0]
    assert body["tool_choice"] == {"type": "tool", "name": "verdict"} and "thinking" not in body
    assert body["max_tokens"] == REFLECT_MAX_TOKENS

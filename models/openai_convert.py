"""Canonical (Anthropic-style) conversation <-> OpenAI chat completions format.

Pure functions on plain dicts, so they are tested without a server and work
the same for OpenAI, vLLM, Ollama and llama.cpp answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from models.messages import Usage

# Chat messages have no is_error flag on tool results; the prefix is how the
# model learns its call failed.
TOOL_ERROR_PREFIX = "ERROR: "

_FINISH_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def to_chat_messages(messages: Sequence[dict[str, Any]], *, system: str = "") -> list[dict[str, Any]]:
    """Canonical messages -> chat messages (system first, one ``tool`` message per result)."""
    chat: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        content = message.get("content")
        if message["role"] == "assistant":
            chat.append(_assistant(content))
        elif isinstance(content, str):
            chat.append({"role": "user", "content": content})
        else:
            chat.extend(_user_blocks(content or []))
    return chat


def _assistant(content: Any) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
    calls = [
        {
            "id": b["id"],
            "type": "function",
            "function": {"name": b["name"], "arguments": json.dumps(b.get("input") or {})},
        }
        for b in content
        if b.get("type") == "tool_use"
    ]
    # Thinking blocks are dropped: chat completions has no field to send them back in.
    out: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        out["tool_calls"] = calls
    elif not text:
        out["content"] = ""
    return out


def _user_blocks(blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    # Tool messages must directly follow the assistant turn that asked for them,
    # so they go first and any user text follows in one user message.
    tool_messages = []
    texts = []
    for block in blocks:
        kind = block.get("type")
        if kind == "tool_result":
            text = _result_text(block.get("content"))
            if block.get("is_error"):
                text = TOOL_ERROR_PREFIX + text
            tool_messages.append({"role": "tool", "tool_call_id": block["tool_use_id"], "content": text})
        elif kind == "text":
            texts.append(block.get("text", ""))
        else:
            texts.append(f"[{kind} block omitted]")
    user = [{"role": "user", "content": "\n\n".join(texts)}] if texts else []
    return tool_messages + user


def _result_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        parts.append(
            block.get("text", "") if block.get("type") == "text" else f"[{block.get('type')} omitted]"
        )
    return "\n".join(parts)


def to_chat_tools(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Canonical tool definitions -> chat ``function`` tools."""
    return [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t.get("description", ""),
                "parameters": t.get("input_schema") or {"type": "object", "properties": {}},
            },
        }
        for t in tools
    ]


def from_chat_completion(completion: dict[str, Any]) -> tuple[list[dict[str, Any]], str, Usage]:
    """A chat completion (as a dict) -> canonical content blocks, stop reason and usage.

    Never raises on what the model wrote: arguments that are not a JSON object
    (often truncated at max_tokens) become ``input: {}`` plus ``_parse_error``,
    which ``Reply.tool_calls`` surfaces so the loop can answer with an error.

    Raises:
        ValueError: The completion has no choices (a malformed server answer).
    """
    choices = completion.get("choices") or []
    if not choices:
        raise ValueError("the completion has no choices")
    choice = choices[0]
    message = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        # vLLM, llama.cpp and DeepSeek put reasoning here; keep it for the trajectory.
        content.append({"type": "thinking", "thinking": reasoning})
    text = message.get("content")
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    if message.get("refusal"):
        content.append({"type": "text", "text": message["refusal"]})
    calls = message.get("tool_calls") or []
    for index, call in enumerate(calls):
        content.append(_tool_use(call, index, completion.get("id") or "call"))
    finish = choice.get("finish_reason")
    stop = _FINISH_REASONS.get(finish or "", "other")
    if calls and stop == "end_turn":
        # Ollama and some llama.cpp builds report "stop" even when they called tools.
        stop = "tool_use"
    if message.get("refusal") and stop == "end_turn":
        stop = "refusal"
    return content, stop, _usage(completion.get("usage"))


def _tool_use(call: dict[str, Any], index: int, completion_id: str) -> dict[str, Any]:
    function = call.get("function") or call.get("custom") or {}
    raw = function.get("arguments", function.get("input", ""))
    block: dict[str, Any] = {
        "type": "tool_use",
        # Some servers send empty ids; the loop needs one to answer the call.
        "id": call.get("id") or f"{completion_id}_{index}",
        "name": function.get("name") or "",
        "input": {},
    }
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw or {}
    except json.JSONDecodeError as exc:
        block["_parse_error"] = f"arguments are not valid JSON ({exc.msg} at char {exc.pos}): {raw[:200]!r}"
        return block
    if isinstance(parsed, dict):
        block["input"] = parsed
    else:
        block["_parse_error"] = f"arguments are not a JSON object: {str(raw)[:200]!r}"
    return block


def _usage(usage: dict[str, Any] | None) -> Usage:
    if not usage:
        return Usage()
    prompt = usage.get("prompt_tokens") or 0
    details = usage.get("prompt_tokens_details") or {}
    cached = min(details.get("cached_tokens") or 0, prompt)
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    # OpenAI bills cache writes as ordinary input, so they stay in input_tokens.
    return Usage(
        input_tokens=prompt - cached,
        output_tokens=usage.get("completion_tokens") or 0,
        cache_read_tokens=cached,
        reasoning_tokens=reasoning,
    )

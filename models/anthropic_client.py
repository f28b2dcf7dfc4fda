"""``anthropic:MODEL``: the official SDK, or any Anthropic-compatible server via a base URL."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

import anthropic

from models.messages import Reply, Usage
from models.base import AccountedClient, check_settings, check_tool_choice, thinking_on
from models.errors import MissingKeyError, ModelError, ModelRequestError
from models.pricing import PriceTable
from models.retry import RetryPolicy, call_with_retries, classify_sdk_error
from models.usage import UsageTracker

PROVIDER = "anthropic"

# A local compatible server (llama.cpp, a proxy) needs no key, but the SDK
# refuses to send a request without some credential.
PLACEHOLDER_KEY = "not-needed"

_CACHE = {"type": "ephemeral"}

# Blocks that cannot carry cache_control (the API rejects it on them).
_UNCACHEABLE = frozenset({"thinking", "redacted_thinking"})

# The Messages API's effort levels (output_config.effort); OpenAI's "none" and "minimal" are not among them.
EFFORTS = ("low", "medium", "high", "xhigh", "max")

_STOP_REASONS = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "refusal",
    # The output was cut because the context window filled up: to the loop it
    # is the same situation as hitting max_tokens.
    "model_context_window_exceeded": "max_tokens",
}


class AnthropicClient(AccountedClient):
    """Messages API with prompt caching of the stable prefix and one retry layer."""

    def __init__(
        self,
        model_id: str,
        *,
        role: str = "task",
        tracker: UsageTracker | None = None,
        prices: PriceTable | None = None,
        retry: RetryPolicy | None = None,
        base_url: str | None = None,
    ) -> None:
        super().__init__(f"{PROVIDER}:{model_id}", role=role, tracker=tracker, prices=prices or PriceTable())
        self.model_id = model_id
        self._retry = retry or RetryPolicy()
        base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        api_key = os.environ.get("ANTHROPIC_API_KEY") or None
        auth_token = None if api_key else os.environ.get("ANTHROPIC_AUTH_TOKEN") or None
        if api_key is None and auth_token is None:
            if base_url is None:
                raise MissingKeyError(key_var="ANTHROPIC_API_KEY", url_var="ANTHROPIC_BASE_URL",
                                      server="an Anthropic-compatible server", provider=PROVIDER)
            api_key = PLACEHOLDER_KEY
        # Credentials are passed explicitly so the SDK does not go looking for
        # profiles on disk; max_retries=0 because call_with_retries is the one layer.
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, auth_token=auth_token, base_url=base_url, max_retries=0
        )
        self._closed = False

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        system: str = "",
        tools: Sequence[dict[str, Any]] = (),
        max_tokens: int,
        tool_choice: str | None = None,
        thinking: str | int | None = None,
        effort: str | None = None,
        temperature: float | None = None,
    ) -> Reply:
        check_settings(thinking, effort, temperature, max_tokens=max_tokens, provider=PROVIDER)
        choice = check_tool_choice(tool_choice, tools, PROVIDER)
        request = build_request(messages, system=system, tools=tools, tool_choice=choice)
        request.update(generation_settings(thinking=thinking, effort=effort, temperature=temperature,
                                           tool_choice=choice))

        async def attempt(timeout: float) -> anthropic.types.Message:
            # An explicit timeout also skips the SDK's refusal of large
            # non-streaming max_tokens, which assumes the SDK's default timeout.
            return await self._client.messages.create(
                model=self.model_id, max_tokens=max_tokens, timeout=timeout, **request
            )

        message = await call_with_retries(attempt, policy=self._retry, classify=_classify)
        # exclude_none keeps blocks as the API sent them minus nulls the API
        # would not accept back; thinking blocks (and their signatures) stay verbatim.
        content = [block.to_dict(mode="json", exclude_none=True) for block in message.content]
        stop = _STOP_REASONS.get(message.stop_reason or "", "other")
        return self._reply(content, stop, _usage(message.usage))

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.close()


def build_request(
    messages: Sequence[dict[str, Any]], *, system: str, tools: Sequence[dict[str, Any]],
    tool_choice: str | None = None,
) -> dict[str, Any]:
    """The ``messages.create`` arguments, with cache breakpoints on the stable prefix.

    Three breakpoints (the API allows four): the end of the system prompt, the
    last tool, and the last block of the last message, so each turn reads the
    whole previous conversation from the cache and writes only the new tail.
    Our private block keys (``_parse_error``) are stripped; inputs are not mutated.
    """
    request: dict[str, Any] = {"messages": [_sendable(m) for m in messages]}
    if system:
        request["system"] = [{"type": "text", "text": system, "cache_control": _CACHE}]
    if tools:
        request["tools"] = [dict(t) for t in tools]
        request["tools"][-1]["cache_control"] = _CACHE
    if tool_choice:  # checked by check_tool_choice: "any", "none" or a tool's name
        request["tool_choice"] = {"type": tool_choice} if tool_choice in ("any", "none") else {
            "type": "tool", "name": tool_choice}
    if request["messages"]:
        _mark_last_block(request["messages"][-1])
    return request


def generation_settings(*, thinking: str | int | None, effort: str | None, temperature: float | None,
                        tool_choice: str | None) -> dict[str, Any]:
    """The ``thinking`` and ``output_config`` arguments, or a ModelRequestError for settings the
    Messages API would refuse (raised here, before a request is paid for)."""
    if temperature is not None:
        raise ModelRequestError("the Messages API takes no temperature; use effort (or thinking) instead",
                                provider=PROVIDER)
    if effort is not None and effort not in EFFORTS:
        raise ModelRequestError(f"effort {effort!r} is not one of the Messages API's {list(EFFORTS)}",
                                provider=PROVIDER)
    if thinking_on(thinking) and tool_choice not in (None, "none"):
        raise ModelRequestError(f"tool_choice {tool_choice!r} cannot be combined with thinking: the Messages "
                                "API only lets a thinking model choose its tools itself", provider=PROVIDER)
    settings: dict[str, Any] = {}
    if thinking == "adaptive":
        settings["thinking"] = {"type": "adaptive"}
    elif thinking == "off":
        settings["thinking"] = {"type": "disabled"}
    elif thinking is not None:
        settings["thinking"] = {"type": "enabled", "budget_tokens": thinking}
    if effort is not None:
        settings["output_config"] = {"effort": effort}
    return settings


def _sendable(message: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    if isinstance(content, list):
        content = [
            {k: copy.deepcopy(v) for k, v in block.items() if not k.startswith("_")} for block in content
        ]
    return {"role": message["role"], "content": content}


def _mark_last_block(message: dict[str, Any]) -> None:
    content = message["content"]
    if isinstance(content, str):
        if content:
            message["content"] = [{"type": "text", "text": content, "cache_control": _CACHE}]
        return
    for block in reversed(content or []):
        if block.get("type") not in _UNCACHEABLE:
            block["cache_control"] = _CACHE
            return


def _usage(usage: anthropic.types.Usage) -> Usage:
    details = getattr(usage, "output_tokens_details", None)
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
        reasoning_tokens=getattr(details, "thinking_tokens", 0) or 0,
    )


def _classify(exc: BaseException) -> ModelError | None:
    return classify_sdk_error(
        exc,
        provider=PROVIDER,
        status_error=anthropic.APIStatusError,
        connection_error=anthropic.APIConnectionError,
        key_hint="check ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN",
    )

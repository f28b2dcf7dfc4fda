"""The model protocol and the accounting every provider shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from models.messages import Reply, Usage
from models.errors import ModelRequestError
from models.pricing import PriceTable
from models.usage import UsageTracker


@runtime_checkable
class ModelClient(Protocol):
    """What the agent loop and the meta-agent call. Nothing else."""

    name: str
    """``provider:model-id``, e.g. ``anthropic:claude-sonnet-5-5``."""

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
        """One model turn.

        Args:
            messages: The conversation in the canonical format of ``models.messages``.
            system: The system prompt.
            tools: Tool definitions: ``{"name", "description", "input_schema"}``.
            max_tokens: Cap on generated tokens.
            tool_choice: None or "auto" (the model decides), "any" (it must call a tool),
                "none" (it must not), or one tool's name (it must call that one).
            thinking: None (the API's default), "adaptive" (the model decides how much),
                "off", or a budget of thinking tokens (>= 1024, below max_tokens, counted
                in it). Anthropic only: chat completions has no such field, so OpenAI and
                compatible servers never receive it.
            effort: None (the API's default) or one of ``EFFORTS``: Anthropic's
                ``output_config.effort`` (low..max), OpenAI's ``reasoning_effort`` (all).
            temperature: Sampling temperature (OpenAI-compatible only: the current
                Messages API takes none).

        Returns:
            The reply; its ``content`` can be appended verbatim as the assistant turn.

        Raises:
            ModelAuthError, ModelUnavailableError; ModelRequestError (ModelContextError when
            the conversation no longer fits the context window), also for settings the
            provider cannot take, before anything is sent.
        """
        ...

    async def aclose(self) -> None:
        """Release connections. Safe to call twice."""
        ...


TOOL_CHOICES = ("auto", "any", "none")


def check_tool_choice(tool_choice: str | None, tools: Sequence[dict[str, Any]], provider: str) -> str | None:
    """The tool choice, normalised ("auto" -> None), or a ModelRequestError naming the valid ones."""
    if tool_choice in (None, "auto"):
        return None
    names = [t.get("name") for t in tools]
    if tool_choice in TOOL_CHOICES[1:] or tool_choice in names:
        if not tools:
            raise ModelRequestError(f"tool_choice {tool_choice!r} needs tools", provider=provider)
        return tool_choice
    raise ModelRequestError(f"tool_choice {tool_choice!r} is none of {list(TOOL_CHOICES)} "
                            f"or a tool's name {names}", provider=provider)


EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""Every effort level either API knows; each provider accepts its own subset."""
THINKING_MODES = ("adaptive", "off")
MIN_THINKING_BUDGET = 1024
"""The smallest thinking budget the Messages API accepts."""


THINKING_ROOM = 16_000
"""Tokens a reply may spend reasoning on top of its answer when the amount is the model's call
(adaptive thinking, or an effort level): max_tokens counts both."""


def thinking_on(thinking: str | int | None) -> bool:
    """Whether the setting asks for thinking (adaptive or a budget)."""
    return thinking == "adaptive" or (isinstance(thinking, int) and not isinstance(thinking, bool))


def reply_cap(answer_tokens: int, thinking: str | int | None = None, effort: str | None = None) -> int:
    """max_tokens for a reply of ``answer_tokens`` plus the reasoning the settings allow."""
    if isinstance(thinking, int) and not isinstance(thinking, bool):
        return answer_tokens + thinking
    reasons = thinking == "adaptive" or effort not in (None, "none")
    return answer_tokens + (THINKING_ROOM if reasons else 0)


def check_settings(thinking: Any, effort: Any, temperature: Any, *, max_tokens: int,
                   provider: str) -> None:
    """Reject settings no provider could take, naming the valid ones (ModelRequestError)."""
    if isinstance(thinking, bool) or not (thinking is None or thinking in THINKING_MODES
                                          or isinstance(thinking, int)):
        raise ModelRequestError(f"thinking {thinking!r} is none of None, {', '.join(map(repr, THINKING_MODES))} "
                                "or a budget of tokens", provider=provider)
    if isinstance(thinking, int) and not MIN_THINKING_BUDGET <= thinking < max_tokens:
        raise ModelRequestError(f"a thinking budget of {thinking} tokens must be at least {MIN_THINKING_BUDGET} "
                                f"and below max_tokens ({max_tokens}), which counts it", provider=provider)
    if effort is not None and effort not in EFFORTS:
        raise ModelRequestError(f"effort {effort!r} is none of {list(EFFORTS)}", provider=provider)
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, int | float)
                                    or not 0 <= temperature <= 2):
        raise ModelRequestError(f"temperature {temperature!r} is not a number from 0 to 2", provider=provider)


class AccountedClient:
    """Base of our providers: turns a provider's answer into a priced, recorded Reply."""

    def __init__(self, name: str, *, role: str, tracker: UsageTracker | None, prices: PriceTable) -> None:
        self.name = name
        self.role = role
        self._tracker = tracker
        self._prices = prices

    def _reply(self, content: list[dict[str, Any]], stop_reason: str, usage: Usage) -> Reply:
        """Price the call, record it in the tracker, and build the Reply."""
        cost = self._prices.cost(self.name, usage)
        if self._tracker is not None:
            self._tracker.record(
                role=self.role, model=self.name, usage=usage, cost_usd=cost or 0.0, priced=cost is not None
            )
        return Reply(
            content=content, stop_reason=stop_reason, usage=usage, model=self.name, cost_usd=cost or 0.0
        )

    async def aclose(self) -> None:
        """Nothing to release by default."""

    async def __aenter__(self) -> AccountedClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

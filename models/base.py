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
    """``provider:model-id``, e.g. ``anthropic:claude-sonnet-4-5``."""

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        system: str = "",
        tools: Sequence[dict[str, Any]] = (),
        max_tokens: int,
        tool_choice: str | None = None,
    ) -> Reply:
        """One model turn.

        Args:
            messages: The conversation in the canonical format of ``models.messages``.
            system: The system prompt.
            tools: Tool definitions: ``{"name", "description", "input_schema"}``.
            max_tokens: Cap on generated tokens.
            tool_choice: None or "auto" (the model decides), "any" (it must call a tool),
                "none" (it must not), or one tool's name (it must call that one).

        Returns:
            The reply; its ``content`` can be appended verbatim as the assistant turn.

        Raises:
            ModelAuthError, ModelRequestError, ModelUnavailableError.
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

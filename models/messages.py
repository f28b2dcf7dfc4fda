"""Provider-neutral conversation records, shared by the host and the jailed agent.

Stdlib only: this module is bound read-only into the agent's jail.

The canonical conversation format is Anthropic-style content blocks, because
it is the richest of the formats we speak (the OpenAI provider converts):

- messages: ``[{"role": "user" | "assistant", "content": str | [block, ...]}]``
- blocks: ``{"type": "text", "text"}``,
  ``{"type": "tool_use", "id", "name", "input": {...}}``,
  ``{"type": "tool_result", "tool_use_id", "content": str, "is_error": bool}``,
  and provider-specific blocks (e.g. ``thinking``) passed back verbatim.
- tools: ``[{"name", "description", "input_schema": {JSON schema}}]``
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STOP_REASONS = ("end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "other")


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for."""

    id: str
    name: str
    arguments: dict[str, Any]
    parse_error: str | None = None
    """Set when the model's arguments were not a JSON object (e.g. truncated JSON).
    The loop should answer this call with an error tool_result."""


@dataclass(frozen=True)
class Usage:
    """Tokens of one call. ``input_tokens`` excludes cache reads and writes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    """The part of ``output_tokens`` spent thinking (already counted there, and billed as output)."""

    @property
    def prompt_tokens(self) -> int:
        """All prompt tokens, cached or not (ATIF's prompt_tokens)."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


@dataclass(frozen=True)
class Reply:
    """One model turn."""

    content: list[dict[str, Any]]
    """Assistant content blocks, to append verbatim as the assistant message."""
    stop_reason: str
    """One of STOP_REASONS."""
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    """The ``provider:model-id`` that answered."""
    cost_usd: float = 0.0

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.content if b.get("type") == "text")

    @property
    def reasoning(self) -> str:
        return "".join(b.get("thinking", "") for b in self.content if b.get("type") == "thinking")

    @property
    def tool_calls(self) -> list[ToolCall]:
        calls = []
        for block in self.content:
            if block.get("type") != "tool_use":
                continue
            args = block.get("input")
            error = block.get("_parse_error")
            if not isinstance(args, dict):
                error = error or f"arguments are not a JSON object: {args!r}"
                args = {}
            calls.append(ToolCall(block["id"], block["name"], args, error))
        return calls

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "stop_reason": self.stop_reason,
            "usage": asdict(self.usage),
            "model": self.model,
            "cost_usd": self.cost_usd,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(
            content=list(data["content"]),
            stop_reason=data["stop_reason"],
            usage=Usage(**data.get("usage", {})),
            model=data.get("model", ""),
            cost_usd=float(data.get("cost_usd", 0.0)),
        )


def tool_result(call_id: str, content: str, is_error: bool = False) -> dict[str, Any]:
    """A tool_result block answering one tool_use id."""
    return {"type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error}


def sendable_content(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Assistant blocks without our private keys (``_parse_error``), ready to send back."""
    return [{k: v for k, v in block.items() if not k.startswith("_")} for block in content]

"""Model prices: the one place they live.

Prices are USD per million tokens. Sources: the Anthropic pricing page
(docs.claude.com, "Pricing", standard tier, 5-minute cache writes) and the
OpenAI API pricing page (platform.openai.com/docs/pricing, standard tier), as
of 2025-11. Long-context surcharges (e.g. Sonnet above 200k prompt tokens) and
batch/priority tiers are not modelled. Newer models are absent on purpose:
pass an override file rather than trust a guess, e.g. ``prices.toml``::

    ["claude-opus-4-6"]
    input = 5.0
    output = 25.0
    cache_read = 0.5
    cache_write = 6.25

A model that is not in the table costs 0 and is reported as unpriced, so the
caller can warn once instead of silently under-counting a budget.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from models.messages import Usage
from models.errors import ModelConfigError


class Price(BaseModel):
    """USD per million tokens of one model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float
    """Uncached prompt tokens."""
    output: float
    """Generated tokens (thinking included)."""
    cache_read: float | None = None
    """Prompt tokens read from the cache; defaults to ``input`` (no discount assumed)."""
    cache_write: float | None = None
    """Prompt tokens written to the cache; defaults to ``input``."""

    def cost(self, usage: Usage) -> float:
        """USD for one call's usage."""
        cache_read = self.input if self.cache_read is None else self.cache_read
        cache_write = self.input if self.cache_write is None else self.cache_write
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_read_tokens * cache_read
            + usage.cache_write_tokens * cache_write
        ) / 1_000_000


def _p(input: float, output: float, cache_read: float, cache_write: float) -> Price:
    return Price(input=input, output=output, cache_read=cache_read, cache_write=cache_write)


_OPUS_4 = _p(15.0, 75.0, 1.50, 18.75)
_SONNET_4 = _p(3.0, 15.0, 0.30, 3.75)

# OpenAI bills cache creation as ordinary input, so cache_write = input there.
DEFAULT_PRICES: dict[str, Price] = {
    # Anthropic
    "claude-opus-4-5": _p(5.0, 25.0, 0.50, 6.25),
    "claude-opus-4-1": _OPUS_4,
    "claude-opus-4-0": _OPUS_4,
    "claude-opus-4": _OPUS_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-sonnet-4-0": _SONNET_4,
    "claude-sonnet-4": _SONNET_4,
    "claude-3-7-sonnet": _SONNET_4,
    "claude-haiku-4-5": _p(1.0, 5.0, 0.10, 1.25),
    "claude-3-5-haiku": _p(0.80, 4.0, 0.08, 1.0),
    "claude-3-haiku": _p(0.25, 1.25, 0.03, 0.30),
    # OpenAI
    "gpt-5.1": _p(1.25, 10.0, 0.125, 1.25),
    "gpt-5": _p(1.25, 10.0, 0.125, 1.25),
    "gpt-5-mini": _p(0.25, 2.0, 0.025, 0.25),
    "gpt-5-nano": _p(0.05, 0.40, 0.005, 0.05),
    "gpt-4.1": _p(2.0, 8.0, 0.50, 2.0),
    "gpt-4.1-mini": _p(0.40, 1.60, 0.10, 0.40),
    "gpt-4.1-nano": _p(0.10, 0.40, 0.025, 0.10),
    "gpt-4o": _p(2.50, 10.0, 1.25, 2.50),
    "gpt-4o-mini": _p(0.15, 0.60, 0.075, 0.15),
    "o3": _p(2.0, 8.0, 0.50, 2.0),
    "o4-mini": _p(1.10, 4.40, 0.275, 1.10),
}

# Providers whose calls are free by construction (replays, tests).
FREE_PROVIDERS = frozenset({"scripted"})

# Dated snapshots and aliases price like their family: claude-sonnet-4-5-20250929,
# gpt-4o-2024-08-06, gpt-5-chat-latest.
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|latest|chat-latest)$")

_ZERO = _p(0.0, 0.0, 0.0, 0.0)


class PriceTable:
    """Prices per model id, defaults plus overrides."""

    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        self._prices: dict[str, Price] = dict(DEFAULT_PRICES if prices is None else prices)

    @classmethod
    def load(cls, path: str | Path) -> PriceTable:
        """The default table with a TOML or JSON override file on top.

        Raises:
            ModelConfigError: The file is missing, unreadable or malformed (named).
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise ModelConfigError(f"price file {path}: {exc}", provider="pricing") from exc
        return cls().with_overrides(data, source=str(path))

    def with_overrides(self, overrides: Mapping[str, Any], *, source: str = "overrides") -> PriceTable:
        """A new table where ``overrides`` (model id -> price fields or Price) win."""
        prices = dict(self._prices)
        for model, fields in overrides.items():
            try:
                prices[model] = fields if isinstance(fields, Price) else Price.model_validate(fields)
            except ValidationError as exc:
                raise ModelConfigError(f"{source}: price of {model!r}: {exc}", provider="pricing") from exc
        return PriceTable(prices)

    def lookup(self, model: str) -> Price | None:
        """The price of ``model`` (``provider:id`` or a bare id), or None if unknown."""
        provider, sep, model_id = model.partition(":")
        if not sep:
            provider, model_id = "", model
        if provider in FREE_PROVIDERS:
            return _ZERO
        if model_id in self._prices:
            return self._prices[model_id]
        family = _SNAPSHOT_SUFFIX.sub("", model_id)
        return self._prices.get(family)

    def cost(self, model: str, usage: Usage) -> float | None:
        """USD for one call, or None when the model has no price (counted as 0)."""
        price = self.lookup(model)
        return None if price is None else price.cost(usage)

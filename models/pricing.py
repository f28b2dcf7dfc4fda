"""Model prices: a maintained database, with a file of overrides on top.

The database is `genai-prices` (pydantic's price data for every major provider, released
as prices change: ``pip install -U genai-prices`` brings new models). It matches model ids
the way the providers name them, dated snapshots included (``claude-sonnet-5-5-20261101``,
``gpt-5.5-2026-04-23``), and prices cache reads, cache writes (5-minute rate, the one our
prompt caching uses) and long-context tiers per call. We use the data bundled with the
installed package, never its network auto-update: a climb's prices do not change under it.

An override file (``--prices``) wins over the database, for local and private models and
for negotiated prices; an explicit price of 0 says "this model is free" (a local server)::

    ["smollm2-135m"]          # or "openai:smollm2-135m" to price one provider's id only
    input = 0.0
    output = 0.0

A model found in neither costs nothing and is reported as unpriced, so a caller can
refuse a budget that could not see it.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from models.errors import ModelConfigError
from models.messages import Usage

# Providers whose calls are free by construction (replays, tests).
FREE_PROVIDERS = frozenset({"scripted"})

# Our provider prefix -> the database's provider id.
_DATABASE_PROVIDERS = {"anthropic": "anthropic", "openai": "openai"}


class Priced(Protocol):
    """Anything that turns one call's usage into dollars."""

    def cost(self, usage: Usage) -> float: ...


class Price(BaseModel):
    """USD per million tokens of one model (an override entry)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

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


_FREE = Price(input=0.0, output=0.0, cache_read=0.0, cache_write=0.0)


class DatabasePrice:
    """A model's prices in genai-prices; tiers (long context) are applied per call."""

    def __init__(self, info: Any, provider: Any) -> None:
        self.model_id: str = info.id
        """The database's id for the model (a dated snapshot resolves to its family)."""
        self.deprecated: bool = bool(info.deprecated)
        self._info, self._provider = info, provider

    def cost(self, usage: Usage) -> float:
        """USD for one call's usage."""
        from genai_prices import Usage as DatabaseUsage

        # The database counts input as all prompt tokens, cache reads and writes included.
        calc = self._info.calc_price(
            DatabaseUsage(input_tokens=usage.prompt_tokens, output_tokens=usage.output_tokens,
                          cache_read_tokens=usage.cache_read_tokens,
                          cache_write_tokens=usage.cache_write_tokens),
            self._provider, genai_request_timestamp=datetime.now(tz=UTC))
        return float(calc.total_price)

    def __repr__(self) -> str:
        return f"DatabasePrice({self.model_id!r})"


def database_version() -> str:
    """The installed genai-prices version (what a price came from)."""
    from importlib.metadata import version

    return version("genai-prices")


@functools.cache
def _database_lookup(provider: str, model_id: str) -> DatabasePrice | None:
    # Imported here: the data module is large, and most imports of models never price anything.
    from genai_prices.data_snapshot import get_snapshot

    try:
        found, info = get_snapshot().find_provider_model(model_id, None, provider, None)
    except LookupError:
        return None
    return DatabasePrice(info, found)


class PriceTable:
    """Prices per model: overrides first, then the database (unless turned off)."""

    def __init__(self, overrides: Mapping[str, Price] | None = None, *, database: bool = True) -> None:
        self._overrides: dict[str, Price] = dict(overrides or {})
        self._database = database

    @classmethod
    def load(cls, path: str | Path) -> PriceTable:
        """The database with a TOML or JSON override file on top.

        Raises:
            ModelConfigError: The file is missing, unreadable or malformed (named).
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise ModelConfigError(f"price file {path}: {exc}", provider="pricing") from exc
        if not isinstance(data, dict):
            raise ModelConfigError(f"price file {path}: expected a table of model ids", provider="pricing")
        return cls().with_overrides(data, source=str(path))

    def with_overrides(self, overrides: Mapping[str, Any], *, source: str = "overrides") -> PriceTable:
        """A new table where ``overrides`` (model id -> price fields or Price) win."""
        prices = dict(self._overrides)
        for model, fields in overrides.items():
            try:
                prices[model] = fields if isinstance(fields, Price) else Price.model_validate(fields)
            except ValidationError as exc:
                raise ModelConfigError(f"{source}: price of {model!r}: {exc}", provider="pricing") from exc
        return PriceTable(prices, database=self._database)

    def lookup(self, model: str) -> Priced | None:
        """The price of ``model`` (``provider:id``, or a bare id), or None if unknown.

        Order: an override for ``provider:id``, then for the bare id, then the database
        (for our two SDK providers; a bare id is looked up by the database's own matching).
        """
        provider, sep, model_id = model.partition(":")
        if not sep:
            provider, model_id = "", model
        if provider in FREE_PROVIDERS:
            return _FREE
        for key in (model, model_id):
            if key in self._overrides:
                return self._overrides[key]
        if not self._database:
            return None
        if provider:
            database_provider = _DATABASE_PROVIDERS.get(provider)
            return _database_lookup(database_provider, model_id) if database_provider else None
        return next((found for p in _DATABASE_PROVIDERS.values() if (found := _database_lookup(p, model_id))),
                    None)

    def source(self, model: str) -> str | None:
        """Where ``model``'s price comes from (for messages), or None when it has none."""
        price = self.lookup(model)
        if price is None:
            return None
        if isinstance(price, DatabasePrice):
            return f"genai-prices {database_version()} ({price.model_id})"
        return "free (scripted)" if price is _FREE else "the price file"

    def cost(self, model: str, usage: Usage) -> float | None:
        """USD for one call, or None when the model has no price (counted as 0)."""
        price = self.lookup(model)
        return None if price is None else price.cost(usage)


def unpriced(models: list[str], prices: PriceTable) -> list[str]:
    """The models among ``models`` that have no price, sorted, without repeats."""
    return sorted({m for m in models if m and prices.lookup(m) is None})

"""Before a long run: does each (base URL, model) answer, and is any model about to retire?

A dead ``--base-url`` or a misspelled model otherwise shows up only when the first trial has
waited out the whole retry policy (minutes). One short request per endpoint, with a retry
policy of seconds, says which one is wrong before any Docker work starts. It costs a few
dozen tokens per model and is not booked against a budget.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from models.errors import (
    MissingKeyError,
    ModelAuthError,
    ModelConfigError,
    ModelError,
    ModelRequestError,
    ModelUnavailableError,
)
from models.factory import create_model, parse_model_name
from models.retry import RetryPolicy

PROBE_RETRY = RetryPolicy(max_attempts=2, base_delay=0.5, request_timeout=10.0, deadline=25.0)
"""Seconds, not minutes: a refused connection fails in about one, a silent host in about twenty."""
PROBE_PROMPT = [{"role": "user", "content": "Reply with the word OK."}]
PROBE_TOKENS = 16


@dataclass(frozen=True)
class Probe:
    """One endpoint to check, with the settings its role will send (so those are checked too)."""

    model: str
    base_url: str | None = None
    role: str = field(default="task", compare=False)
    """Who will call it (for messages); two roles on one endpoint are probed once."""
    thinking: str | int | None = None
    effort: str | None = None
    flag: str = field(default="--base-url", compare=False)
    """The command-line flag that sets this endpoint's server, named when its key is missing."""


@dataclass(frozen=True)
class ProbeResult:
    """What one probe found: an error stops the start; a warning does not."""

    probe: Probe
    error: str | None = None
    warning: str | None = None


async def probe(target: Probe, *, retry: RetryPolicy = PROBE_RETRY) -> ProbeResult:
    """Send one short request to ``target`` (a scripted model is only loaded: it has no server)."""
    where = target.base_url or "the provider's API"
    label = f"{target.role} model {target.model} at {where}"
    try:
        client = create_model(target.model, role=target.role, base_url=target.base_url, retry=retry)
    except MissingKeyError as exc:
        return ProbeResult(target, error=f"{label}: {exc.with_flag(target.flag)}")
    except ModelConfigError as exc:
        return ProbeResult(target, error=f"{label}: {exc}")
    try:
        if parse_model_name(target.model)[0] == "scripted":
            return ProbeResult(target)
        room = target.thinking if isinstance(target.thinking, int) else 0
        await client.complete(PROBE_PROMPT, max_tokens=room + PROBE_TOKENS, thinking=target.thinking,
                              effort=target.effort)
    except ModelUnavailableError as exc:
        if exc.status is None:
            return ProbeResult(target, error=f"{label}: no answer ({exc.message})")
        # It answered: the server is there. An overload now is what the climb's pauses are for.
        return ProbeResult(target, warning=f"{label} is busy (HTTP {exc.status}): {exc.message}")
    except ModelAuthError as exc:
        return ProbeResult(target, error=f"{label}: credentials refused: {exc.message}")
    except ModelRequestError as exc:
        cause = "no such model" if exc.status == 404 else "refused a one-line request"
        return ProbeResult(target, error=f"{label}: {cause}: {exc.message}")
    except ModelError as exc:
        return ProbeResult(target, error=f"{label}: {exc}")
    finally:
        await client.aclose()
    return ProbeResult(target)


async def probe_all(targets: list[Probe], *, retry: RetryPolicy = PROBE_RETRY) -> list[ProbeResult]:
    """Probe each distinct endpoint once, all at once."""
    unique = list(dict.fromkeys(targets))
    return list(await asyncio.gather(*(probe(t, retry=retry) for t in unique)))


def deprecation(model: str, prices: Any = None) -> str | None:
    """Why ``model`` is on its way out, when a source says so, else None.

    Sources: the anthropic SDK's own list of deprecated models with their end-of-life dates
    (the SDK warns with it on each call), and the price database's deprecated flag.
    """
    provider, model_id = parse_model_name(model)
    if provider == "anthropic":
        try:
            from anthropic._data import DEPRECATED_MODELS  # the SDK's list; private, so guarded
        except ImportError:
            DEPRECATED_MODELS = {}
        if model_id in DEPRECATED_MODELS:
            return f"{model} is deprecated: end of life on {DEPRECATED_MODELS[model_id]} (anthropic SDK)"
    price = prices.lookup(model) if prices is not None else None
    if getattr(price, "deprecated", False):
        return f"{model} is marked deprecated in the price database ({price.model_id})"
    return None

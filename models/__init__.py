"""Model providers behind one small protocol, shared by the task agent host and the meta-agent.

Use ``create_model("provider:model-id", role=..., tracker=...)`` and call
``await client.complete(messages, system=..., tools=..., max_tokens=...)``.
The conversation format, ``Reply`` and ``Usage`` live in ``models.messages``.

Owns: the provider clients (anthropic, openai-compatible, scripted), the one retry layer,
prices and usage accounting, and the conversation types (``messages``). Imports nothing of
ours. ``models.messages`` is stdlib-only because the task agent's jailed runtime imports it,
so this package's names load lazily: importing ``models.messages`` (in the jail, or for a
fast ``climb --help``) pulls in no SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ModelAuthError": "models.errors",
    "ModelClient": "models.base",
    "ModelConfigError": "models.errors",
    "ModelError": "models.errors",
    "ModelRequestError": "models.errors",
    "ModelUnavailableError": "models.errors",
    "PROVIDERS": "models.factory",
    "Price": "models.pricing",
    "PriceTable": "models.pricing",
    "ROLES": "models.usage",
    "RetryPolicy": "models.retry",
    "ScriptExhaustedError": "models.errors",
    "ScriptedModel": "models.scripted",
    "UsageTotals": "models.usage",
    "UsageTracker": "models.usage",
    "check_model_access": "models.factory",
    "create_model": "models.factory",
    "parse_model_name": "models.factory",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:
    from models.base import ModelClient
    from models.errors import (
        ModelAuthError,
        ModelConfigError,
        ModelError,
        ModelRequestError,
        ModelUnavailableError,
        ScriptExhaustedError,
    )
    from models.factory import PROVIDERS, check_model_access, create_model, parse_model_name
    from models.pricing import Price, PriceTable
    from models.retry import RetryPolicy
    from models.scripted import ScriptedModel
    from models.usage import ROLES, UsageTotals, UsageTracker

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
    "MissingKeyError": "models.errors",
    "ModelAuthError": "models.errors",
    "ModelClient": "models.base",
    "ModelConfigError": "models.errors",
    "ModelContextError": "models.errors",
    "ModelError": "models.errors",
    "ModelRequestError": "models.errors",
    "ModelUnavailableError": "models.errors",
    "PROVIDERS": "models.factory",
    "Probe": "models.preflight",
    "Price": "models.pricing",
    "PriceTable": "models.pricing",
    "ROLES": "models.usage",
    "RetryPolicy": "models.retry",
    "ScriptExhaustedError": "models.errors",
    "ScriptedModel": "models.scripted",
    "UsageTotals": "models.usage",
    "UsageTracker": "models.usage",
    "deprecation": "models.preflight",
    "probe_all": "models.preflight",
    "create_model": "models.factory",
    "parse_model_name": "models.factory",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:  # the same names, for type checkers (``X as X`` marks a re-export)
    from models.base import ModelClient as ModelClient
    from models.errors import MissingKeyError as MissingKeyError
    from models.errors import ModelAuthError as ModelAuthError
    from models.errors import ModelConfigError as ModelConfigError
    from models.errors import ModelContextError as ModelContextError
    from models.errors import ModelError as ModelError
    from models.errors import ModelRequestError as ModelRequestError
    from models.errors import ModelUnavailableError as ModelUnavailableError
    from models.errors import ScriptExhaustedError as ScriptExhaustedError
    from models.factory import PROVIDERS as PROVIDERS
    from models.factory import create_model as create_model
    from models.factory import parse_model_name as parse_model_name
    from models.preflight import Probe as Probe
    from models.preflight import deprecation as deprecation
    from models.preflight import probe_all as probe_all
    from models.pricing import Price as Price
    from models.pricing import PriceTable as PriceTable
    from models.retry import RetryPolicy as RetryPolicy
    from models.scripted import ScriptedModel as ScriptedModel
    from models.usage import ROLES as ROLES
    from models.usage import UsageTotals as UsageTotals
    from models.usage import UsageTracker as UsageTracker

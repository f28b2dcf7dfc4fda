"""Model providers behind one small protocol, shared by the task agent host and the meta-agent.

Use ``create_model("provider:model-id", role=..., tracker=...)`` and call
``await client.complete(messages, system=..., tools=..., max_tokens=...)``.
The conversation format, ``Reply`` and ``Usage`` live in ``task_agent.messages``.
"""

from task_agent.models.base import ModelClient
from task_agent.models.errors import (
    ModelAuthError,
    ModelConfigError,
    ModelError,
    ModelRequestError,
    ModelUnavailableError,
    ScriptExhaustedError,
)
from task_agent.models.factory import (
    PROVIDERS,
    check_model_access,
    create_model,
    parse_model_name,
)
from task_agent.models.pricing import Price, PriceTable
from task_agent.models.retry import RetryPolicy
from task_agent.models.scripted import ScriptedModel
from task_agent.models.usage import ROLES, UsageTotals, UsageTracker

__all__ = [
    "PROVIDERS",
    "ROLES",
    "ModelAuthError",
    "ModelClient",
    "ModelConfigError",
    "ModelError",
    "ModelRequestError",
    "ModelUnavailableError",
    "Price",
    "PriceTable",
    "RetryPolicy",
    "ScriptExhaustedError",
    "ScriptedModel",
    "UsageTotals",
    "UsageTracker",
    "check_model_access",
    "create_model",
    "parse_model_name",
]

"""``create_model``: a ``provider:model-id`` name to a ready client."""

from __future__ import annotations

from models.base import ModelClient
from models.errors import ModelConfigError
from models.pricing import PriceTable
from models.retry import RetryPolicy
from models.usage import ROLES, UsageTracker

PROVIDERS = ("anthropic", "openai", "scripted")

# Only used to suggest a fix when the provider prefix is missing.
_FAMILY_HINTS = (("claude", "anthropic"), ("gpt-", "openai"), ("o3", "openai"), ("o4", "openai"))


def parse_model_name(name: str) -> tuple[str, str]:
    """Split ``provider:model-id``.

    Raises:
        ModelConfigError: No provider, an unknown one, or an empty/blank model id.
    """
    provider, sep, model_id = name.partition(":")
    if not sep or not provider:
        guess = next((p for prefix, p in _FAMILY_HINTS if name.startswith(prefix)), None)
        hint = f"; did you mean {guess}:{name}?" if guess else ""
        raise ModelConfigError(
            f"model name {name!r} must be provider:model-id, e.g. anthropic:claude-sonnet-5-5{hint}",
            provider="models",
        )
    if provider not in PROVIDERS:
        raise ModelConfigError(
            f"unknown provider {provider!r} in {name!r}; valid providers: {', '.join(PROVIDERS)}",
            provider="models",
        )
    if not model_id or model_id != model_id.strip():
        raise ModelConfigError(
            f"bad model name {name!r}: the model id after {provider}: is empty or padded", provider=provider
        )
    return provider, model_id


def create_model(
    name: str,
    *,
    role: str = "task",
    tracker: UsageTracker | None = None,
    base_url: str | None = None,
    prices: PriceTable | None = None,
    retry: RetryPolicy | None = None,
) -> ModelClient:
    """Build the client for ``name``; every successful call records into ``tracker``.

    Args:
        name: ``anthropic:MODEL``, ``openai:MODEL`` or ``scripted:PATH``.
        role: Who calls: "task", "meta" or "judge" (for per-role cost).
        tracker: Where usage and cost go; None records nothing.
        base_url: A compatible server instead of the vendor's (overrides
            ``ANTHROPIC_BASE_URL`` / ``OPENAI_BASE_URL``). Ignored by ``scripted``.
        prices: Price table; defaults to the built-in one.
        retry: Retry policy for the SDK providers; defaults to ``RetryPolicy()``.

    Raises:
        ModelConfigError: Bad name, unknown provider or role, missing API key,
            or an unreadable/malformed script file. Raised before any network use.
    """
    provider, model_id = parse_model_name(name)
    if role not in ROLES:
        raise ModelConfigError(
            f"unknown role {role!r}; expected one of {', '.join(ROLES)}", provider=provider
        )
    prices = prices or PriceTable()
    # SDKs are imported on demand: a scripted run (tests, replays) never pays for them.
    if provider == "scripted":
        from models.scripted import ScriptedModel

        return ScriptedModel.from_file(model_id, name=name, role=role, tracker=tracker, prices=prices)
    if provider == "anthropic":
        from models.anthropic_client import AnthropicClient

        return AnthropicClient(
            model_id, role=role, tracker=tracker, prices=prices, retry=retry, base_url=base_url
        )
    from models.openai_client import OpenAIClient

    return OpenAIClient(model_id, role=role, tracker=tracker, prices=prices, retry=retry, base_url=base_url)

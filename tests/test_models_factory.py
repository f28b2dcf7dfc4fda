"""Model names, the factory, and the retry policy on its own."""

from __future__ import annotations

import email.utils
import time

import pytest

from models import (
    PROVIDERS,
    ModelClient,
    ModelConfigError,
    ModelRequestError,
    ModelUnavailableError,
    RetryPolicy,
    create_model,
    parse_model_name,
)
from models.retry import call_with_retries, parse_retry_after
from tests.fakes.clock import FakeClock


def test_parse_model_name():
    assert parse_model_name("anthropic:claude-sonnet-4-5") == ("anthropic", "claude-sonnet-4-5")
    assert parse_model_name("scripted:/tmp/a:b.json") == ("scripted", "/tmp/a:b.json")


def test_unknown_provider_lists_the_valid_ones():
    with pytest.raises(ModelConfigError) as caught:
        create_model("gemini:pro")
    assert all(p in str(caught.value) for p in PROVIDERS)


@pytest.mark.parametrize(
    ("name", "hint"), [("claude-sonnet-4-5", "anthropic:claude-sonnet-4-5"), ("gpt-5", "openai:gpt-5")]
)
def test_missing_provider_suggests_one(name, hint):
    with pytest.raises(ModelConfigError, match=hint):
        parse_model_name(name)


@pytest.mark.parametrize("name", ["anthropic:", "openai: gpt-5", ":gpt-5"])
def test_bad_model_names(name):
    with pytest.raises(ModelConfigError):
        parse_model_name(name)


def test_unknown_role_is_a_config_error(tmp_path):
    script = tmp_path / "s.json"
    script.write_text("[]")
    with pytest.raises(ModelConfigError, match="role"):
        create_model(f"scripted:{script}", role="planner")


def test_clients_satisfy_the_protocol(tmp_path, monkeypatch):
    script = tmp_path / "s.json"
    script.write_text("[]")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    monkeypatch.setenv("OPENAI_API_KEY", "x")
    for name in (f"scripted:{script}", "anthropic:claude-haiku-4-5", "openai:gpt-5"):
        assert isinstance(create_model(name), ModelClient)


def test_retry_after_parsing():
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "2.5"}) == 2.5
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= parse_retry_after({"retry-after": when}) <= 61
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_backoff_is_exponential_capped_and_jittered_down():
    policy = RetryPolicy(base_delay=1, max_delay=5, jitter=0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    jittered = RetryPolicy(base_delay=4, jitter=0.5)
    assert all(2 <= jittered.backoff(1) <= 4 for _ in range(50))


def test_policy_validation():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)


async def test_call_with_retries_passes_the_remaining_time_and_stops_on_request_errors():
    clock = FakeClock()
    timeouts = []
    outcomes = [ModelUnavailableError("busy", provider="p"), ModelRequestError("bad", provider="p")]

    async def attempt(timeout: float) -> str:
        timeouts.append(timeout)
        raise outcomes.pop(0)

    policy = RetryPolicy(jitter=0, base_delay=2, deadline=100, request_timeout=600, **clock.policy_kwargs())
    with pytest.raises(ModelRequestError):
        await call_with_retries(
            attempt,
            policy=policy,
            classify=lambda e: e if isinstance(e, ModelRequestError | ModelUnavailableError) else None,
        )
    assert timeouts == [100, 98] and clock.sleeps == [2]


async def test_non_api_exceptions_propagate_untouched():
    async def attempt(timeout: float) -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await call_with_retries(attempt, policy=RetryPolicy(), classify=lambda e: None)

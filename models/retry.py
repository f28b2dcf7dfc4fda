"""The one retry layer for model calls.

Both SDK providers build their clients with ``max_retries=0`` and wrap each
request in ``call_with_retries``: stacked layers (SDK retries times ours)
multiply the worst case, and one explicit layer is one place to reason about
how long a climb can stall on an outage.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.errors import (
    ModelError,
    ModelUnavailableError,
    error_for_status,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How hard to try before declaring the model unavailable.

    ``sleep`` and ``clock`` are injectable so tests can run the whole policy
    without waiting on the wall clock.
    """

    max_attempts: int = 6
    """Attempts in total, the first included."""
    base_delay: float = 1.0
    """Seconds before the first retry; doubles each attempt."""
    max_delay: float = 60.0
    """Cap on one computed backoff."""
    jitter: float = 0.25
    """Each backoff is reduced by up to this fraction at random, so parallel
    trials that failed together do not retry together."""
    deadline: float = 900.0
    """Seconds from the first attempt after which we stop retrying."""
    max_retry_after: float = 120.0
    """Cap on a server's ``retry-after``: a bogus huge value must not stall a climb."""
    request_timeout: float = 600.0
    """Seconds one attempt may take (bounded by what is left of ``deadline``)."""
    sleep: Callable[[float], Awaitable[Any]] = field(default=asyncio.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be >= 1, got {self.max_attempts}")
        for name in ("base_delay", "max_delay", "deadline", "max_retry_after", "request_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"RetryPolicy.jitter must be within [0, 1], got {self.jitter}")

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        delay = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return delay * (1 - self.jitter * random.random())


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait, from ``retry-after-ms`` or ``retry-after``.

    ``retry-after`` may be seconds (int or float) or an HTTP date.
    """
    if not headers:
        return None
    try:
        return float(headers["retry-after-ms"]) / 1000
    except (KeyError, TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def classify_sdk_error(
    exc: BaseException,
    *,
    provider: str,
    status_error: type[BaseException],
    connection_error: type[BaseException],
    key_hint: str = "",
) -> ModelError | None:
    """Map an SDK exception to our error, or None if it is not an API failure.

    Works for both official SDKs: they share the Stainless shape
    (``APIStatusError`` with ``status_code``/``response``/``body``, and
    ``APIConnectionError`` of which timeouts are a subclass).
    """
    if isinstance(exc, status_error):
        status = int(getattr(exc, "status_code", 0) or 0)
        headers = getattr(getattr(exc, "response", None), "headers", None)
        message = _api_message(exc)
        # ``x-should-retry`` is deliberately ignored: the status alone decides, so
        # a 401 is never retried and a 529 is never blamed on the request.
        return error_for_status(
            status, message, provider=provider, key_hint=key_hint, retry_after=parse_retry_after(headers),
            code=_api_code(exc),
        )
    if isinstance(exc, connection_error):
        cause = exc.__cause__ or exc.__context__
        detail = f"{exc} ({type(cause).__name__}: {cause})" if cause else str(exc)
        return ModelUnavailableError(detail, provider=provider)
    return None


def _api_message(exc: BaseException) -> str:
    """The provider's own ``error.message`` when the body has one, else the SDK's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            kind = inner.get("type")
            return f"{inner['message']} [{kind}]" if isinstance(kind, str) and kind else inner["message"]
    return str(getattr(exc, "message", None) or exc)


def _api_code(exc: BaseException) -> str | None:
    """The error's ``code`` (OpenAI, vLLM) or ``type`` (llama.cpp, Anthropic) from the body."""
    body = getattr(exc, "body", None)
    inner = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        return None
    return next((inner[key] for key in ("code", "type") if isinstance(inner.get(key), str)), None)


async def call_with_retries[T](
    attempt: Callable[[float], Awaitable[T]],
    *,
    policy: RetryPolicy,
    classify: Callable[[BaseException], ModelError | None],
) -> T:
    """Run ``attempt(timeout)`` until it succeeds or the policy gives up.

    Args:
        attempt: One request; receives the seconds it may take.
        policy: Attempts, backoff and deadline.
        classify: Maps an exception to our error; None means "not an API
            failure" and the exception propagates untouched (a bug, not an outage).

    Returns:
        What ``attempt`` returned.

    Raises:
        ModelAuthError, ModelRequestError: at once, never retried.
        ModelUnavailableError: when attempts or the deadline ran out.
    """
    start = policy.clock()
    number = 0
    while True:
        number += 1
        remaining = policy.deadline - (policy.clock() - start)
        try:
            return await attempt(max(1.0, min(policy.request_timeout, remaining)))
        except Exception as exc:
            error = classify(exc)
            if error is None:
                raise
            if not isinstance(error, ModelUnavailableError):
                raise error from exc
            delay = policy.backoff(number, error.retry_after)
            elapsed = policy.clock() - start
            if number >= policy.max_attempts or elapsed + delay > policy.deadline:
                raise ModelUnavailableError(
                    f"{error.message} (gave up after {number} attempt(s) in {elapsed:.1f}s)",
                    provider=error.provider,
                    status=error.status,
                    attempts=number,
                    retry_after=error.retry_after,
                ) from exc
            log.warning(
                "%s; retrying in %.2fs (attempt %d of %d)", error, delay, number + 1, policy.max_attempts
            )
            await policy.sleep(delay)

"""The errors every model provider raises, whatever SDK sits underneath.

Callers branch on the class, never on message text:

- ``ModelConfigError``: we could not even build the client (missing key,
  unknown provider, bad model name, bad script file). Raised before any call.
- ``ModelAuthError``: the server refused our credentials (401/403, and 402
  billing). Never retried: retrying cannot fix a key.
- ``ModelRequestError``: the server says the request itself is wrong
  (400/404/413/422...). Not retried; for the task agent this is usually its own
  doing (e.g. a context that grew too long).
- ``ModelUnavailableError``: rate limits, overload, 5xx, connection errors and
  timeouts that outlasted the retry policy. An infrastructure failure, never
  the agent's fault: a trial that ends on it is ``infra_error``, not reward 0.
"""

from __future__ import annotations


class ModelError(Exception):
    """Base of every model error.

    Attributes:
        provider: The provider that failed (``anthropic``, ``openai``, ``scripted``).
        status: The HTTP status, when the failure came with one.
        message: The provider's own explanation (without our prefix).
    """

    def __init__(self, message: str, *, provider: str, status: int | None = None) -> None:
        self.message = message
        self.provider = provider
        self.status = status
        where = f"{provider} HTTP {status}" if status is not None else provider
        super().__init__(f"{where}: {message}")


class ModelConfigError(ModelError):
    """The client cannot be built: missing API key, unknown provider, bad name or file."""


class ModelAuthError(ModelError):
    """Credentials were refused (401/403/402). Never retried."""


class ModelRequestError(ModelError):
    """The request is wrong (400/404/413/422 and other 4xx). Not retried."""


class ModelUnavailableError(ModelError):
    """The service could not answer, after the retry policy was exhausted.

    Attributes:
        attempts: How many attempts were made before giving up.
        retry_after: The server's last requested wait in seconds, if it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.attempts = attempts
        self.retry_after = retry_after


class ScriptExhaustedError(ModelRequestError):
    """A scripted model was called more times than its script has responses."""


# Status codes worth another attempt: timeouts, lock conflicts, rate limits,
# overload (529 is Anthropic's "overloaded") and server errors.
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    key_hint: str = "",
    retry_after: float | None = None,
) -> ModelError:
    """Map an HTTP status to our error class.

    Args:
        status: The HTTP status code of the failed response.
        message: The provider's explanation.
        provider: The provider name, for the error's prefix.
        key_hint: Appended to auth errors, e.g. "check ANTHROPIC_API_KEY".
        retry_after: The server's requested wait, kept on unavailable errors.

    Returns:
        The error to raise (or to retry on, when it is a ``ModelUnavailableError``).
    """
    if status in (401, 402, 403):
        hint = f" ({key_hint})" if key_hint else ""
        return ModelAuthError(f"{message}{hint}", provider=provider, status=status)
    if status in RETRYABLE_STATUSES or status >= 500:
        return ModelUnavailableError(message, provider=provider, status=status, retry_after=retry_after)
    return ModelRequestError(message, provider=provider, status=status)

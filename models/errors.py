"""The errors every model provider raises, whatever SDK sits underneath.

Callers branch on the class, never on message text:

- ``ModelConfigError``: we could not even build the client (missing key,
  unknown provider, bad model name, bad script file). Raised before any call.
- ``ModelAuthError``: the server refused our credentials (401/403, and 402
  billing). Never retried: retrying cannot fix a key.
- ``ModelRequestError``: the server says the request itself is wrong
  (400/404/413/422...). Not retried; for the task agent this is usually its own
  doing. ``ModelContextError``, its subclass, is the commonest case: the
  conversation no longer fits the model's context window.
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
        retryable: Whether the same call could succeed later (after the retry layer gave up):
            only an unavailable service can come back; a key, a model name or a request does
            not change by waiting.
    """

    retryable = False

    def __init__(self, message: str, *, provider: str, status: int | None = None) -> None:
        self.message = message
        self.provider = provider
        self.status = status
        where = f"{provider} HTTP {status}" if status is not None else provider
        super().__init__(f"{where}: {message}")


class ModelConfigError(ModelError):
    """The client cannot be built: missing API key, unknown provider, bad name or file."""


class MissingKeyError(ModelConfigError):
    """No API key and no compatible server to use instead. The message names the variables
    and the command-line flag that set the server (``with_flag`` swaps it: the meta model's
    server is set by another flag than the task model's)."""

    def __init__(self, *, key_var: str, url_var: str, server: str, provider: str,
                 flag: str = "--base-url") -> None:
        self.key_var, self.url_var, self.server, self.flag = key_var, url_var, server, flag
        super().__init__(f"no API key: set {key_var}, or point {url_var} / {flag} at {server}", provider=provider)

    def with_flag(self, flag: str) -> MissingKeyError:
        return MissingKeyError(key_var=self.key_var, url_var=self.url_var, server=self.server,
                               provider=self.provider, flag=flag)


class ModelAuthError(ModelError):
    """Credentials were refused (401/403/402). Never retried."""


class ModelRequestError(ModelError):
    """The request is wrong (400/404/413/422 and other 4xx). Not retried."""


class ModelContextError(ModelRequestError):
    """The prompt no longer fits the model's context window. The caller may shorten it and retry."""


class ModelUnavailableError(ModelError):
    """The service could not answer, after the retry policy was exhausted.

    Attributes:
        attempts: How many attempts were made before giving up.
        retry_after: The server's last requested wait in seconds, if it sent one.
    """

    retryable = True

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

# How each server says "the prompt is longer than the context window". OpenAI (and vLLM)
# send a code and llama.cpp an error type; the Messages API only says it in words
# ("prompt is too long: N tokens > M maximum"), so the words are the fallback.
CONTEXT_ERROR_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error",
                                 "string_above_max_length"})
CONTEXT_ERROR_WORDS = ("prompt is too long", "context length", "context window", "context size",
                       "maximum context", "too many tokens")


def is_context_overflow(status: int, message: str, code: str | None = None) -> bool:
    """Whether a rejected request was rejected for not fitting the context window."""
    if status not in (400, 413, 422):
        return False
    if code in CONTEXT_ERROR_CODES:
        return True
    lowered = message.lower()
    return any(words in lowered for words in CONTEXT_ERROR_WORDS)


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    key_hint: str = "",
    retry_after: float | None = None,
    code: str | None = None,
) -> ModelError:
    """Map an HTTP status to our error class.

    Args:
        status: The HTTP status code of the failed response.
        message: The provider's explanation.
        provider: The provider name, for the error's prefix.
        key_hint: Appended to auth errors, e.g. "check ANTHROPIC_API_KEY".
        retry_after: The server's requested wait, kept on unavailable errors.
        code: The error's code or type from the body, if it has one.

    Returns:
        The error to raise (or to retry on, when it is a ``ModelUnavailableError``).
    """
    if status in (401, 402, 403):
        hint = f" ({key_hint})" if key_hint else ""
        return ModelAuthError(f"{message}{hint}", provider=provider, status=status)
    if status in RETRYABLE_STATUSES or status >= 500:
        return ModelUnavailableError(message, provider=provider, status=status, retry_after=retry_after)
    if is_context_overflow(status, message, code):
        return ModelContextError(message, provider=provider, status=status)
    return ModelRequestError(message, provider=provider, status=status)

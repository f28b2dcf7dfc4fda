"""``openai:MODEL``: the official SDK's chat completions, for OpenAI or any compatible server."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import openai

from models.messages import Reply
from models.base import AccountedClient, check_settings, check_tool_choice
from models.errors import MissingKeyError, ModelError, ModelUnavailableError
from models.openai_convert import from_chat_completion, to_chat_messages, to_chat_tools
from models.pricing import PriceTable
from models.retry import RetryPolicy, call_with_retries, classify_sdk_error
from models.usage import UsageTracker

PROVIDER = "openai"

# vLLM, Ollama and llama.cpp need no key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed"


class OpenAIClient(AccountedClient):
    """Chat completions with tools, through one retry layer."""

    def __init__(
        self,
        model_id: str,
        *,
        role: str = "task",
        tracker: UsageTracker | None = None,
        prices: PriceTable | None = None,
        retry: RetryPolicy | None = None,
        base_url: str | None = None,
    ) -> None:
        super().__init__(f"{PROVIDER}:{model_id}", role=role, tracker=tracker, prices=prices or PriceTable())
        self.model_id = model_id
        self._retry = retry or RetryPolicy()
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = os.environ.get("OPENAI_API_KEY") or None
        if api_key is None:
            if base_url is None:
                raise MissingKeyError(key_var="OPENAI_API_KEY", url_var="OPENAI_BASE_URL",
                                      server="an OpenAI-compatible server (vLLM, Ollama, llama.cpp)",
                                      provider=PROVIDER)
            api_key = PLACEHOLDER_KEY
        self._max_tokens_field = max_tokens_field(base_url)
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0)
        self._closed = False

    async def complete(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        system: str = "",
        tools: Sequence[dict[str, Any]] = (),
        max_tokens: int,
        tool_choice: str | None = None,
        thinking: str | int | None = None,
        effort: str | None = None,
        temperature: float | None = None,
    ) -> Reply:
        check_settings(thinking, effort, temperature, max_tokens=max_tokens, provider=PROVIDER)
        choice = check_tool_choice(tool_choice, tools, PROVIDER)
        request: dict[str, Any] = {
            "model": self.model_id,
            "messages": to_chat_messages(messages, system=system),
            self._max_tokens_field: max_tokens,
        }
        # Chat completions has no thinking switch (reasoning models always reason; effort sets
        # how much), so ``thinking`` is not sent. Servers that do not know reasoning_effort
        # (llama.cpp, older vLLM) ignore it.
        if effort is not None:
            request["reasoning_effort"] = effort
        if temperature is not None:
            request["temperature"] = temperature
        if tools:
            request["tools"] = to_chat_tools(tools)
        if choice:
            request["tool_choice"] = {"any": "required", "none": "none"}.get(choice) or {
                "type": "function", "function": {"name": choice}}

        async def attempt(timeout: float) -> Any:
            return await self._client.chat.completions.create(**request, timeout=timeout)

        completion = await call_with_retries(attempt, policy=self._retry, classify=_classify)
        # A dict keeps fields the SDK's types do not declare (reasoning_content).
        data = completion.to_dict(mode="json") if hasattr(completion, "to_dict") else completion
        if not isinstance(data, dict):
            raise ModelUnavailableError(
                f"unexpected answer from the server: {str(data)[:200]!r}", provider=PROVIDER
            )
        try:
            content, stop, usage = from_chat_completion(data)
        except ValueError as exc:
            raise ModelUnavailableError(f"malformed completion: {exc}", provider=PROVIDER) from exc
        return self._reply(content, stop, usage)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._client.close()


def max_tokens_field(base_url: str | None) -> str:
    """The request field that caps output tokens for this endpoint.

    OpenAI's own endpoint rejects ``max_tokens`` for reasoning models, while
    several compatible servers only know ``max_tokens``.
    """
    if base_url is None or urlsplit(base_url).hostname == "api.openai.com":
        return "max_completion_tokens"
    return "max_tokens"


def _classify(exc: BaseException) -> ModelError | None:
    return classify_sdk_error(
        exc,
        provider=PROVIDER,
        status_error=openai.APIStatusError,
        connection_error=openai.APIConnectionError,
        key_hint="check OPENAI_API_KEY",
    )

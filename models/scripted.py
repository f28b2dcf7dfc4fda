"""``scripted:PATH``: replays a JSON file of responses, for tests and for replaying sessions.

The file is either a list of responses, or rules chosen on the session's first call::

    {"rules": [
        {"match": {"system_contains": "...", "first_user_contains": "...", "tools_include": "bash"},
         "responses": [...]},
        ...
    ]}

A response is ``{"text", "thinking", "tool_calls": [{"name", "arguments", "id"}],
"stop_reason", "usage"}`` (all optional), or a recorded ``Reply.to_json()``
(``{"content": [blocks], "stop_reason", "usage", ...}``), or
``{"error": "unavailable" | "auth" | "request", "message", "status"}`` to
simulate a failure. ``arguments`` may be a string, to replay truncated JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.messages import STOP_REASONS, Reply, Usage
from models.base import AccountedClient, check_settings, check_tool_choice
from models.errors import (
    ModelAuthError,
    ModelConfigError,
    ModelRequestError,
    ModelUnavailableError,
    ScriptExhaustedError,
)
from models.pricing import PriceTable
from models.usage import UsageTracker

PROVIDER = "scripted"

_MATCH_KEYS = {"system_contains", "first_user_contains", "tools_include"}
_REPLY_KEYS = {"text", "thinking", "tool_calls", "stop_reason", "usage", "content", "model", "cost_usd"}
_ERRORS = {"unavailable": ModelUnavailableError, "auth": ModelAuthError, "request": ModelRequestError}
_USAGE_KEYS = {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"}


@dataclass(frozen=True)
class _Rule:
    match: dict[str, str]
    responses: list[dict[str, Any]]
    where: str


class ScriptedModel(AccountedClient):
    """Replays responses in order; each instance is a fresh session.

    Attributes:
        requests: What each call received (system, messages, tools, max_tokens, tool_choice and
            the thinking, effort and temperature settings), for assertions.
    """

    def __init__(
        self,
        script: Any,
        *,
        source: str = "<inline script>",
        name: str | None = None,
        role: str = "task",
        tracker: UsageTracker | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        super().__init__(
            name or f"{PROVIDER}:{source}", role=role, tracker=tracker, prices=prices or PriceTable()
        )
        self.source = source
        self._rules = _parse_script(script, source)
        self._chosen: _Rule | None = None
        self._next = 0
        self.requests: list[dict[str, Any]] = []

    @classmethod
    def from_file(cls, path: str | Path, **kwargs: Any) -> ScriptedModel:
        """Load a script file; errors name the file (and the position, for shape errors)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ModelConfigError(f"script file {path}: {exc.strerror or exc}", provider=PROVIDER) from exc
        try:
            script = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelConfigError(
                f"script file {path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                provider=PROVIDER,
            ) from exc
        return cls(script, source=str(path), **kwargs)

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
        self.requests.append({"system": system, "messages": list(messages), "tools": list(tools),
                              "max_tokens": max_tokens,
                              "tool_choice": check_tool_choice(tool_choice, tools, PROVIDER),
                              "thinking": thinking, "effort": effort, "temperature": temperature})
        if self._chosen is None:
            self._chosen = self._choose(messages, system=system, tools=tools)
        responses = self._chosen.responses
        if self._next >= len(responses):
            raise ScriptExhaustedError(
                f"{self.source}: script exhausted: call {len(self.requests)} but {self._chosen.where} "
                f"has only {len(responses)} response(s)",
                provider=PROVIDER,
            )
        response = responses[self._next]
        where = f"{self._chosen.where}[{self._next}]"
        self._next += 1
        if "error" in response:
            error = _ERRORS[response["error"]]
            message = response.get("message") or f"simulated {response['error']} error ({where})"
            raise error(message, provider=PROVIDER, status=response.get("status"))
        content = _content(response, call_number=len(self.requests))
        calls = any(block.get("type") == "tool_use" for block in content)
        stop = response.get("stop_reason") or ("tool_use" if calls else "end_turn")
        return self._reply(content, stop, Usage(**response.get("usage", {})))

    def remaining(self) -> int:
        """Responses not yet replayed (before the first call: across all rules)."""
        if self._chosen is None:
            return sum(len(rule.responses) for rule in self._rules)
        return len(self._chosen.responses) - self._next

    def assert_complete(self) -> None:
        """Raise AssertionError if any response of the session was not consumed."""
        left = self.remaining()
        if left:
            where = self._chosen.where if self._chosen else "the script"
            raise AssertionError(
                f"{self.source}: {left} scripted response(s) of {where} were never requested"
            )

    def _choose(
        self, messages: Sequence[dict[str, Any]], *, system: str, tools: Sequence[dict[str, Any]]
    ) -> _Rule:
        first_user = next((_text(m.get("content")) for m in messages if m.get("role") == "user"), "")
        tool_names = {t.get("name") for t in tools}
        for rule in self._rules:
            match = rule.match
            if (
                match.get("system_contains", "") in system
                and match.get("first_user_contains", "") in first_user
                and ("tools_include" not in match or match["tools_include"] in tool_names)
            ):
                return rule
        raise ModelRequestError(
            f"{self.source}: no rule matched the first call (system starts {system[:80]!r}, "
            f"first user message starts {first_user[:80]!r}, tools {sorted(n for n in tool_names if n)})",
            provider=PROVIDER,
        )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or [] if b.get("type") == "text")


def _content(response: dict[str, Any], *, call_number: int) -> list[dict[str, Any]]:
    if "content" in response:
        return json.loads(json.dumps(response["content"]))  # a private copy per call
    content: list[dict[str, Any]] = []
    if response.get("thinking"):
        content.append({"type": "thinking", "thinking": response["thinking"]})
    if response.get("text"):
        content.append({"type": "text", "text": response["text"]})
    for index, call in enumerate(response.get("tool_calls", [])):
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": call.get("id") or f"toolu_scripted_{call_number}_{index}",
            "name": call["name"],
            "input": {},
        }
        arguments = call.get("arguments", {})
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError as exc:
                block["_parse_error"] = f"arguments are not valid JSON ({exc.msg}): {arguments[:200]!r}"
                arguments = {}
        if isinstance(arguments, dict):
            block["input"] = arguments
        else:
            block["_parse_error"] = f"arguments are not a JSON object: {arguments!r}"
        content.append(block)
    return content


def _parse_script(script: Any, source: str) -> list[_Rule]:
    def fail(where: str, problem: str) -> ModelConfigError:
        return ModelConfigError(f"script file {source}: {where}: {problem}", provider=PROVIDER)

    if isinstance(script, list):
        return [_Rule({}, _check_responses(script, "responses", fail), "responses")]
    if not isinstance(script, dict) or set(script) != {"rules"} or not isinstance(script["rules"], list):
        raise fail("top level", 'expected a list of responses or {"rules": [...]}')
    rules = []
    for i, rule in enumerate(script["rules"]):
        where = f"rules[{i}]"
        if not isinstance(rule, dict) or not set(rule) <= {"match", "responses"} or "responses" not in rule:
            raise fail(where, 'expected {"match": {...}, "responses": [...]}')
        match = rule.get("match", {})
        if not isinstance(match, dict) or not set(match) <= _MATCH_KEYS:
            raise fail(f"{where}.match", f"keys must be among {sorted(_MATCH_KEYS)}")
        if not all(isinstance(v, str) for v in match.values()):
            raise fail(f"{where}.match", "values must be strings")
        rules.append(
            _Rule(
                match, _check_responses(rule["responses"], f"{where}.responses", fail), f"{where}.responses"
            )
        )
    if not rules:
        raise fail("rules", "no rules")
    return rules


def _check_responses(responses: Any, where: str, fail: Any) -> list[dict[str, Any]]:
    if not isinstance(responses, list):
        raise fail(where, "expected a list of responses")
    for i, response in enumerate(responses):
        at = f"{where}[{i}]"
        if not isinstance(response, dict):
            raise fail(at, "expected an object")
        if "error" in response:
            if response["error"] not in _ERRORS or not set(response) <= {"error", "message", "status"}:
                raise fail(at, f'expected {{"error": one of {sorted(_ERRORS)}, "message", "status"}}')
            continue
        unknown = set(response) - _REPLY_KEYS
        if unknown:
            raise fail(at, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_REPLY_KEYS)}")
        if response.get("stop_reason") not in (None, *STOP_REASONS):
            raise fail(f"{at}.stop_reason", f"must be one of {list(STOP_REASONS)}")
        usage = response.get("usage", {})
        if not isinstance(usage, dict) or not set(usage) <= _USAGE_KEYS:
            raise fail(f"{at}.usage", f"keys must be among {sorted(_USAGE_KEYS)}")
        if not all(isinstance(v, int) and v >= 0 for v in usage.values()):
            raise fail(f"{at}.usage", "token counts must be non-negative integers")
        if "content" in response and not isinstance(response["content"], list):
            raise fail(f"{at}.content", "expected a list of content blocks")
        calls = response.get("tool_calls", [])
        if not isinstance(calls, list):
            raise fail(f"{at}.tool_calls", "expected a list")
        for j, call in enumerate(calls):
            if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                raise fail(
                    f"{at}.tool_calls[{j}]", 'expected {"name": str, "arguments": {...}, "id": optional}'
                )
            if not set(call) <= {"name", "arguments", "id"}:
                raise fail(f"{at}.tool_calls[{j}]", "keys must be among name, arguments, id")
    return responses

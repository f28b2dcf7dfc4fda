"""A local HTTP server that answers LLM API requests from a script, for end-to-end SDK tests.

It speaks enough of the Anthropic Messages API (``POST /v1/messages``) and of
OpenAI chat completions (``POST /v1/chat/completions``) for the official SDKs
to run their real code paths: each POST pops the next queued response, and
every request is recorded so tests can assert what the SDK sent.

    with FakeLLMServer() as server:
        server.enqueue_error(529, "Overloaded", headers={"retry-after": "0.01"})
        server.enqueue(message_body(text="hi"))
        client = create_model("anthropic:claude-sonnet-4-5", base_url=server.url)
        ...
        assert server.requests[-1].body["system"][0]["cache_control"] == {"type": "ephemeral"}
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class QueuedResponse:
    """One scripted answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    disconnect: bool = False
    """Close the connection without answering (a network failure, as the client sees it)."""
    delay: float = 0.0
    """Seconds to wait before answering (a client with a shorter timeout gives up first)."""
    path: str | None = None
    """Serve this answer only to a request for this path (None: to the next request of any path)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON body (None if empty or not JSON)."""


class FakeLLMServer:
    """A threaded HTTP server on 127.0.0.1 with an OS-chosen port.

    An empty queue answers 400 with a clear message, which the clients report
    as a request error (not retried), so a missing script step fails fast.
    """

    def __init__(self) -> None:
        self._queue: deque[QueuedResponse] = deque()
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (what the Anthropic SDK wants)."""
        if self._httpd is None:
            raise RuntimeError("FakeLLMServer is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        """Base URL with ``/v1``, as the OpenAI SDK expects."""
        return f"{self.url}/v1"

    def start(self) -> FakeLLMServer:
        """Bind and serve in a daemon thread."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-llm-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def enqueue(
        self, body: Any, *, status: int = 200, headers: dict[str, str] | None = None, delay: float = 0.0,
        path: str | None = None,
    ) -> None:
        """Queue a JSON answer for the next POST (to ``path``, if given), sent after ``delay`` seconds.

        ``path`` lets concurrent clients of both APIs share one server: ``/v1/messages`` or
        ``/v1/chat/completions``.
        """
        with self._lock:
            self._queue.append(QueuedResponse(status, body, dict(headers or {}), delay=delay, path=path))

    def enqueue_error(
        self, status: int, message: str, *, headers: dict[str, str] | None = None, openai: bool = False
    ) -> None:
        """Queue an error in the Anthropic shape (or the OpenAI one with ``openai=True``)."""
        body = openai_error_body(message, status) if openai else anthropic_error_body(status, message)
        self.enqueue(body, status=status, headers=headers)

    def enqueue_disconnect(self) -> None:
        """Queue a dropped connection."""
        with self._lock:
            self._queue.append(QueuedResponse(disconnect=True))

    @property
    def pending(self) -> int:
        """Queued answers not yet served."""
        with self._lock:
            return len(self._queue)

    def bodies(self, path: str | None = None) -> list[Any]:
        """JSON bodies of the requests received (optionally only those to ``path``)."""
        return [r.body for r in list(self.requests) if path is None or r.path == path]

    def _next(self, request: RecordedRequest) -> QueuedResponse:
        with self._lock:
            self.requests.append(request)
            for queued in self._queue:
                if queued.path in (None, request.path):
                    self._queue.remove(queued)
                    return queued
        message = f"fake LLM server: no response queued for {request.method} {request.path}"
        return QueuedResponse(400, anthropic_error_body(400, message))


def _handler_for(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._send(QueuedResponse(200, {"status": "ok"}))

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            path = self.path.split("?", 1)[0]
            response = server._next(
                RecordedRequest("POST", path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if response.disconnect:
                self.close_connection = True
                return
            if response.delay:
                time.sleep(response.delay)
            try:
                self._send(response)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client stopped waiting (its timeout)

        def _send(self, response: QueuedResponse) -> None:
            payload = json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


# Kept for readers who look for the name in the brief.
FakeMessagesAPI = FakeLLMServer


def message_body(
    *,
    text: str | None = None,
    tool_uses: list[dict[str, Any]] | None = None,
    thinking: str | None = None,
    signature: str | None = None,
    redacted: str | None = None,
    thinking_tokens: int | None = None,
    stop_reason: str | None = None,
    usage: dict[str, int] | None = None,
    model: str = "claude-sonnet-5-5",
) -> dict[str, Any]:
    """An Anthropic ``Message`` body.

    Args:
        text: A text block, if given.
        tool_uses: ``[{"id", "name", "input"}]`` tool_use blocks.
        thinking: A thinking block placed first (``""`` is what ``display: omitted`` returns).
        signature: The thinking block's signature (default: a fake one derived from the text).
        redacted: A ``redacted_thinking`` block's opaque data, placed after the thinking.
        thinking_tokens: ``usage.output_tokens_details.thinking_tokens``, if given.
        stop_reason: Defaults to ``tool_use`` when there are tool uses, else ``end_turn``.
        usage: Overrides of ``input_tokens``, ``output_tokens``,
            ``cache_read_input_tokens``, ``cache_creation_input_tokens``.
        model: The model id echoed back.
    """
    content: list[dict[str, Any]] = []
    if thinking is not None:
        content.append({"type": "thinking", "thinking": thinking,
                        "signature": signature or "sig-" + str(len(thinking))})
    if redacted is not None:
        content.append({"type": "redacted_thinking", "data": redacted})
    if text is not None:
        content.append({"type": "text", "text": text})
    for call in tool_uses or []:
        content.append(
            {"type": "tool_use", "id": call["id"], "name": call["name"], "input": call.get("input", {})}
        )
    body_usage: dict[str, Any] = {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        **(usage or {}),
    }
    if thinking_tokens is not None:
        body_usage["output_tokens_details"] = {"thinking_tokens": thinking_tokens}
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason or ("tool_use" if tool_uses else "end_turn"),
        "stop_sequence": None,
        "usage": body_usage,
    }


def anthropic_error_body(status: int, message: str) -> dict[str, Any]:
    """An Anthropic error body: ``{"type": "error", "error": {"type", "message"}}``."""
    kind = _ANTHROPIC_ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def openai_error_body(message: str, status: int = 400) -> dict[str, Any]:
    """An OpenAI error body: ``{"error": {"message", "type", "code"}}``."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "code": None, "param": None}}


def chat_completion_body(
    *,
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = None,
    reasoning: str | None = None,
    reasoning_tokens: int | None = None,
    model: str = "gpt-4.1",
) -> dict[str, Any]:
    """An OpenAI chat completion body.

    Args:
        content: The assistant text.
        tool_calls: ``[{"id", "name", "arguments": str}]``; arguments are sent as given
            (so truncated JSON can be simulated).
        finish_reason: ``stop``, ``length``, ``tool_calls``...
        usage: Overrides of ``prompt_tokens``, ``completion_tokens``, ``prompt_tokens_details``.
        reasoning: A ``reasoning_content`` field, as vLLM and llama.cpp send.
        reasoning_tokens: ``usage.completion_tokens_details.reasoning_tokens``, as OpenAI sends.
        model: The model id echoed back.
    """
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": c.get("id", f"call_{i}"),
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for i, c in enumerate(tool_calls)
        ]
    usage = {"prompt_tokens": 20, "completion_tokens": 7, **(usage or {})}
    if reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage,
    }

"""The fixed runtime the editable agent.py runs on (never edited by the meta-agent).

Runs inside the agent's jail, stdlib only. The agent reaches the world only
through a JSON-lines channel to the parent process: ``exec`` runs a command in
its own trial's container, ``complete`` calls the model (the parent holds the
API keys, retries, and counts cost), ``read_file`` / ``write_file`` move files.

What agent.py gets: a ``Context`` with the instruction, ``ctx.env`` (commands
and files in the task container), ``ctx.model`` (the model; every turn is
recorded in the ATIF trajectory), ``ctx.observe`` (record tool results) and
the time left. Tools are ``Tool`` records.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Awaitable, Callable

from task_agent.atif import Trajectory
from models.messages import Reply, ToolCall, Usage, tool_result

__all__ = [
    "CommandResult",
    "Context",
    "ContextWindowError",
    "ModelError",
    "Reply",
    "Tool",
    "ToolCall",
    "Usage",
    "tool_result",
]


class ModelError(Exception):
    """The model rejected the request (bad settings, a malformed conversation). The agent may recover."""


class ContextWindowError(ModelError):
    """The conversation no longer fits the model's context window: shorten it (drop or summarise
    old tool output) and call again, or stop."""


_ERROR_KINDS = {"model_request": ModelError, "context_window": ContextWindowError}


class ChannelError(Exception):
    """The parent refused an operation."""


class Channel:
    """Request/response over two pipes; requests may be in flight concurrently. Writes are
    buffered, never blocking the event loop: the parent reads a bounded number at a time."""

    def __init__(self, read_fd: int, write_fd: int):
        for fd in (read_fd, write_fd):
            os.set_inheritable(fd, False)  # processes the agent starts must not hold the channel
        self._read_fd, self._write_fd = read_fd, write_fd
        self._writer: asyncio.WriteTransport | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.StreamReader | None = None
        self._pump: asyncio.Task | None = None

    async def open(self) -> dict[str, Any]:
        """Say the jail is up (no agent code has run yet), then return the parent's start message."""
        loop = asyncio.get_running_loop()
        self._writer, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(self._write_fd, "wb", buffering=0))
        self.send({"op": "ready"})
        self._reader = asyncio.StreamReader(limit=256 * 1024 * 1024)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(self._reader),
                                     os.fdopen(self._read_fd, "rb", buffering=0))
        start = json.loads(await self._reader.readline())
        self._pump = asyncio.create_task(self._dispatch())
        return start

    async def _dispatch(self) -> None:
        assert self._reader is not None
        while line := await self._reader.readline():
            message = json.loads(line)
            future = self._pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ChannelError("the parent closed the channel"))

    def send(self, message: dict[str, Any]) -> None:
        assert self._writer is not None
        self._writer.write(json.dumps(message).encode() + b"\n")

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything sent has reached the pipe (the parent may have gone: then give up)."""
        deadline = time.monotonic() + timeout
        while self._writer is not None and self._writer.get_write_buffer_size() and time.monotonic() < deadline:
            if self._writer.is_closing():
                return
            await asyncio.sleep(0.01)

    async def call(self, op: str, **params: Any) -> Any:
        self._next_id += 1
        future = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        self.send({"id": self._next_id, "op": op, **params})
        response = await future
        if not response.get("ok"):
            error = _ERROR_KINDS.get(response.get("kind"), ChannelError)
            raise error(response.get("error", "refused"))
        return response.get("result")


@dataclass(frozen=True)
class CommandResult:
    """A command's outcome in the task container. A non-zero exit is data."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    truncated: bool = False

    @property
    def output(self) -> str:
        """stdout then stderr, as one text (a terminal would interleave them)."""
        if not self.stderr:
            return self.stdout
        separator = "\n" if self.stdout and not self.stdout.endswith("\n") else ""
        return self.stdout + separator + self.stderr


class Environment:
    """The task's container, as the agent sees it."""

    def __init__(self, channel: Channel):
        self._channel = channel

    async def run(self, command: str, timeout: float | None = 120, cwd: str | None = None,
                  env: dict[str, str] | None = None) -> CommandResult:
        """Run ``bash -c command`` in the task container (as the task's agent user)."""
        result = await self._channel.call("exec", cmd=command, timeout=timeout, cwd=cwd, env=env or {})
        return CommandResult(**result)

    async def read_file(self, path: str) -> str:
        return await self._channel.call("read_file", path=path)

    async def write_file(self, path: str, text: str) -> None:
        await self._channel.call("write_file", path=path, text=text)


class Model:
    """The model; each call is one recorded agent step."""

    def __init__(self, channel: Channel, name: str, trajectory: Trajectory):
        self._channel = channel
        self.name = name
        self._trajectory = trajectory
        self._seen_messages = 0
        self._system_recorded = False

    async def complete(self, messages: list[dict[str, Any]], *, system: str = "",
                       tools: list[dict[str, Any]] | None = None, max_tokens: int = 4096,
                       tool_choice: str | None = None, thinking: str | int | None = None,
                       effort: str | None = None, temperature: float | None = None) -> Reply:
        """One model turn.

        tool_choice: None or "auto" (the model decides), "any" (it must call a tool), "none"
        (it must not), or a tool's name (it must call that one).
        thinking: None (the API's default), "adaptive" (the model decides how much to think),
        "off", or a budget of thinking tokens (at least 1024, below max_tokens, which counts
        them). Anthropic models only; other APIs ignore it. A thinking model with tools must
        get its thinking blocks back: append ``reply.content`` unchanged, as run() does.
        effort: None, or "low" | "medium" | "high" | "xhigh" | "max" (both APIs); "none" |
        "minimal" (OpenAI only).
        temperature: OpenAI-compatible models only.

        Raises:
            ContextWindowError: the conversation no longer fits the model's context window.
            ModelError: the model refused the request (e.g. a setting it does not take).
        """
        self._record_inputs(messages, system)
        data = await self._channel.call("complete", model=self.name, messages=messages, system=system,
                                        tools=tools or [], max_tokens=max_tokens, tool_choice=tool_choice,
                                        thinking=thinking, effort=effort, temperature=temperature)
        reply = Reply.from_json(data)
        self._trajectory.agent(reply, effort=effort)
        self._seen_messages = len(messages)
        return reply

    def _record_inputs(self, messages: list[dict[str, Any]], system: str) -> None:
        """Record what is new in the conversation since the last call."""
        if system and not self._system_recorded:
            self._trajectory.system(system)
            self._system_recorded = True
        start = self._seen_messages if len(messages) >= self._seen_messages else len(messages) - 1
        for message in messages[max(start, 0):]:
            if message.get("role") != "user":
                continue
            content = message.get("content")
            blocks = content if isinstance(content, list) else []
            results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
            if results:
                self._trajectory.observe(results)
            rest = [b for b in blocks if isinstance(b, dict) and b.get("type") != "tool_result"]
            if isinstance(content, str) or rest:
                self._trajectory.user(content if isinstance(content, str) else rest)


@dataclass
class Tool:
    """A tool the model can call: name, description, JSON schema, async function."""

    name: str
    description: str
    input_schema: dict[str, Any]
    fn: Callable[..., Awaitable[str]]

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}


@dataclass
class Context:
    """Everything agent.py gets for one task."""

    instruction: str
    env: Environment
    model: Model
    trajectory: Trajectory
    deadline: float
    """time.monotonic() value at which the parent kills the agent."""
    workdir: str | None = None
    skills_dir: str | None = None
    """Folder in the container with agent skills (``<name>/SKILL.md``), if the task has one."""
    extra: dict[str, Any] = field(default_factory=dict)

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def observe(self, results: list[dict[str, Any]]) -> None:
        """Record tool results in the trajectory (also done automatically on the next model call)."""
        self.trajectory.observe(results)

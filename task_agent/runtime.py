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
import importlib.util
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from task_agent.atif import Trajectory
from models.messages import Reply, ToolCall, Usage, tool_result

__all__ = ["Context", "Tool", "CommandResult", "ModelError", "Reply", "ToolCall", "Usage", "tool_result"]


class ModelError(Exception):
    """The model rejected the request (e.g. the context is too long). The agent may recover."""


class ChannelError(Exception):
    """The parent refused an operation."""


class Channel:
    """Request/response over two pipes; requests may be in flight concurrently."""

    def __init__(self, read_fd: int, write_fd: int):
        for fd in (read_fd, write_fd):
            os.set_inheritable(fd, False)  # processes the agent starts must not hold the channel
        self._read_fd, self._write = read_fd, os.fdopen(write_fd, "wb", buffering=0)
        self._next_id = 0
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.StreamReader | None = None
        self._pump: asyncio.Task | None = None

    async def open(self) -> dict[str, Any]:
        """Connect and return the parent's start message."""
        loop = asyncio.get_running_loop()
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
        self._write.write(json.dumps(message).encode() + b"\n")

    async def call(self, op: str, **params: Any) -> Any:
        self._next_id += 1
        future = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        self.send({"id": self._next_id, "op": op, **params})
        response = await future
        if not response.get("ok"):
            if response.get("kind") == "model_request":
                raise ModelError(response.get("error", "model error"))
            raise ChannelError(response.get("error", "refused"))
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
                       tool_choice: str | None = None) -> Reply:
        """One model turn. tool_choice: None or "auto" (the model decides), "any" (it must
        call a tool), "none" (it must not), or a tool's name (it must call that one)."""
        self._record_inputs(messages, system)
        data = await self._channel.call("complete", model=self.name, messages=messages, system=system,
                                        tools=tools or [], max_tokens=max_tokens, tool_choice=tool_choice)
        reply = Reply.from_json(data)
        self._trajectory.agent(reply)
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


def load_agent(path: Path):
    spec = importlib.util.spec_from_file_location("agent", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent"] = module
    spec.loader.exec_module(module)
    return module


async def _main(read_fd: int, write_fd: int, agent_path: Path) -> int:
    channel = Channel(read_fd, write_fd)
    start = await channel.open()
    status, error = "ok", None
    trajectory = None
    try:
        module = load_agent(agent_path)
        model_name = start.get("task_model") or getattr(module, "MODEL", "")
        trajectory = Trajectory(Path(start["trajectory_path"]), session_id=start["session_id"],
                                agent_name="harness-climb", agent_version=start.get("agent_version", ""),
                                model_name=model_name)
        ctx = Context(
            instruction=start["instruction"],
            env=Environment(channel),
            model=Model(channel, model_name, trajectory),
            trajectory=trajectory,
            deadline=time.monotonic() + float(start.get("timeout_sec") or 1e9),
            workdir=start.get("workdir"),
            skills_dir=start.get("skills_dir"),
        )
        await module.run(ctx)
    except BaseException as exc:  # everything the agent does wrong is reported, then we exit non-zero
        status = "error"
        error = "".join(traceback.format_exception(exc))[-4000:]
        print(error, file=sys.stderr)
    finally:
        if trajectory is not None:
            trajectory.finalize({"status": status})
    channel.send({"op": "done", "status": status, "error": error})
    return 0 if status == "ok" else 1


def _cap_memory() -> None:
    """Cap the address space before agent.py loads; children inherit it and, without
    capabilities, cannot raise it."""
    import resource

    megabytes = int(os.environ.get("CLIMB_AGENT_MEMORY_MB", "0") or 0)
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> None:
    read_fd, write_fd, agent_path = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    _cap_memory()
    sys.exit(asyncio.run(_main(read_fd, write_fd, agent_path)))


if __name__ == "__main__":
    main()

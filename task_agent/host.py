"""The host side of the task agent: runs agent.py in its jail and serves its channel.

``HarnessAgent`` implements ``sandbox.agents.Agent``, so the trial lifecycle
does not know an LLM is involved. The parent holds everything the agent must
not: API keys, the model clients (one retry layer, cost accounting), and the
only handle to the trial's container.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import uuid
from pathlib import Path
from typing import Any

from sandbox.agents import AgentContext, AgentError, AgentOutcome
from sandbox.environment import InfraError
from task_agent import jail
from task_agent.host_session import ModelSettings, AgentSession
from task_agent.jail import JailConfig
from models import (
    ModelAuthError,
    ModelConfigError,
    ModelUnavailableError,
    ScriptedModel,
)

__all__ = ["HarnessAgent", "ModelSettings"]

log = logging.getLogger(__name__)

STDERR_TAIL = 3000
DONE_GRACE_SEC = 2.0
"""How long agent.py may take to exit after reporting done before its group is killed."""


class HarnessAgent:
    """Runs an agent.py file as the task agent of a trial."""

    name = "harness"

    def __init__(self, agent_file: Path, models: ModelSettings | None = None, jail_config: JailConfig | None = None,
                 label: str | None = None):
        self.agent_file = Path(agent_file).resolve()
        self.models = models or ModelSettings()
        self.jail = jail_config or JailConfig()
        if self.jail.kind == "none":
            _warn_unjailed()
        if label:
            self.name = label

    async def run(self, ctx: AgentContext) -> AgentOutcome:
        session = AgentSession(self.models, ctx)
        loop = asyncio.get_running_loop()
        session.agent_deadline = loop.time() + (ctx.timeout_sec or 1e9)
        ctx.logs_dir.mkdir(parents=True, exist_ok=True)
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            command = jail.build(self.jail, self.agent_file, ctx.logs_dir, to_child_r, from_child_w)
        except jail.JailUnavailable as exc:
            raise InfraError(str(exc), "jail") from exc
        stdout = open(ctx.logs_dir / "agent-stdout.txt", "wb")
        stderr = open(ctx.logs_dir / "agent-stderr.txt", "wb")
        try:
            proc = await asyncio.create_subprocess_exec(
                *command.argv, stdin=asyncio.subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                pass_fds=(to_child_r, from_child_w), start_new_session=True, env=command.env,
                cwd="/tmp",
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
            stdout.close()
            stderr.close()
        try:
            await self._serve(session, proc, to_child_w, from_child_r, command, ctx)
        finally:
            ctx.outcome = session.outcome()
            _kill_group(proc)
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                await asyncio.shield(proc.wait())
            await asyncio.shield(_close_clients(session))
        return self._verdict(session, proc.returncode, ctx)

    async def _serve(self, session: AgentSession, proc, write_fd: int, read_fd: int, command, ctx: AgentContext) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
        transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                    os.fdopen(read_fd, "rb", buffering=0))
        writer = os.fdopen(write_fd, "wb", buffering=0)
        pending: set[asyncio.Task] = set()
        failure: list[BaseException] = []
        failed = asyncio.Event()

        async def respond(request: dict[str, Any]) -> None:
            try:
                response = await session.handle(request)
            except (ModelUnavailableError, ModelAuthError, ModelConfigError) as exc:
                # Not the agent's fault: the trial becomes an infra error, never a score.
                kind = next(k for cls, k in _MODEL_INFRA_KINDS if isinstance(exc, cls))
                failure.append(InfraError(f"model API: {exc}", kind))
                failed.set()
                return
            except (InfraError, AgentError) as exc:
                failure.append(exc)
                failed.set()
                return
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                # A malformed request (missing or mistyped fields) is refused, not left unanswered.
                response = {"ok": False, "error": f"bad request: {type(exc).__name__}: {exc}", "kind": "bad_request"}
            response["id"] = request.get("id")
            async with session.write_lock:
                try:
                    writer.write(json.dumps(response).encode() + b"\n")
                except (BrokenPipeError, OSError):
                    pass

        try:
            start = {"instruction": ctx.task.instruction, "workdir": ctx.workdir, "timeout_sec": ctx.timeout_sec,
                     "task_model": self.models.task_model, "session_id": f"{ctx.trial_id}-{uuid.uuid4().hex[:6]}",
                     "trajectory_path": command.trajectory_path,
                     "skills_dir": ctx.task.config.environment.skills_dir}
            writer.write(json.dumps(start).encode() + b"\n")
            while not failure:
                line = await _next_line(reader, failed)
                if line is None:
                    break
                request = json.loads(line)
                if request.get("op") == "done":
                    # Do not wait for EOF: a child of the agent may still hold the pipe open.
                    session.done = request
                    break
                task = asyncio.create_task(respond(request))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if failure:
                raise failure[0]
            if session.done is None:
                await proc.wait()
            else:
                try:  # it said it is done: a thread or child it left running must not hold the trial
                    await asyncio.wait_for(proc.wait(), DONE_GRACE_SEC)
                except asyncio.TimeoutError:
                    session.lingered = True  # run()'s cleanup kills the group
                    with open(ctx.logs_dir / "agent-stderr.txt", "a") as log_file:
                        log_file.write(f"[climb] agent.py reported done but had not exited after "
                                       f"{DONE_GRACE_SEC:g} s; its processes were killed\n")
        except BrokenPipeError:
            pass
        finally:
            for task in pending:
                task.cancel()
            transport.close()
            with contextlib.suppress(OSError):
                writer.close()

    def _verdict(self, session: AgentSession, returncode: int | None, ctx: AgentContext) -> AgentOutcome:
        leftover = "; ".join(f"scripted model {client.name}: {client.remaining()} responses left unconsumed"
                             for client in session.clients.values()
                             if isinstance(client, ScriptedModel) and client.remaining())
        if (returncode == 0 or session.lingered) and session.done and session.done.get("status") == "ok":
            if leftover:
                raise AgentError(leftover, "script_unconsumed")
            return session.outcome()
        # A crash is the cause worth showing; a script left over is only its consequence.
        detail = (session.done or {}).get("error") or _tail(ctx.logs_dir / "agent-stderr.txt")
        suffix = f"\n({leftover})" if leftover else ""
        raise AgentError(f"agent.py failed (exit {returncode}): {detail}{suffix}", "agent_crash")


_MODEL_INFRA_KINDS = ((ModelUnavailableError, "model_unavailable"), (ModelAuthError, "model_auth"),
                      (ModelConfigError, "model_config"))


async def _next_line(reader: asyncio.StreamReader, failed: asyncio.Event) -> bytes | None:
    """The next request, or None at EOF or as soon as a handler has failed."""
    read = asyncio.ensure_future(reader.readline())
    stop = asyncio.ensure_future(failed.wait())
    try:
        await asyncio.wait({read, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not read.done():
        read.cancel()
        return None
    return read.result() or None


@functools.cache
def _warn_unjailed() -> None:
    """Once per process: a climb builds many agents."""
    log.warning("agent.py runs WITHOUT isolation (--jail none): it can read your files, the "
                "tasks' tests and solutions, and the Docker socket")


def _kill_group(proc) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _close_clients(session: AgentSession) -> None:
    for client in session.clients.values():
        with contextlib.suppress(Exception):
            await client.aclose()


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-STDERR_TAIL:].strip() or "(no output)"
    except OSError:
        return "(no stderr)"

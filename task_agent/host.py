"""The host side of the task agent: runs agent.py in its jail and serves its channel.

``HarnessAgent`` implements ``sandbox.agents.Agent``, so the trial lifecycle
does not know an LLM is involved. The parent holds everything the agent must
not: API keys, the model clients (one retry layer, cost accounting), the only
handle to the trial's container, and the decision which models the trial may call.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from models import ModelAuthError, ModelConfigError, ModelUnavailableError, ScriptedModel
from sandbox.agents import AgentContext, AgentError, AgentOutcome
from sandbox.environment import InfraError, unexpected
from sandbox.extract import append_text, read_tail
from task_agent.channel import MAX_IN_FLIGHT, ParentChannel
from task_agent.host_session import AgentSession, ModelSettings
from task_agent.jail import JailConfig, JailUnavailable
from task_agent.jail_process import RunningJail, launch
from task_agent.model_choice import choose_models

__all__ = ["HarnessAgent", "ModelSettings"]

log = logging.getLogger(__name__)

STDERR_TAIL = 3000
DONE_GRACE_SEC = 2.0
"""How long agent.py may take to exit after reporting done before its group is killed."""
READY_TIMEOUT_SEC = 60.0
"""How long the jail may take to start the runtime (no agent code runs before it is up)."""
WATCH_INTERVAL_SEC = 0.5


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
        try:
            return await self._run(ctx)
        except (AgentError, InfraError):
            raise
        except Exception as exc:
            # agent.py runs in its own process, behind the channel: an exception that gets here
            # was raised by the parent, which is our code (or a full disk), never the agent's fault.
            raise unexpected(exc) from exc

    async def _run(self, ctx: AgentContext) -> AgentOutcome:
        source = self.agent_file.read_bytes()  # one reading: what runs is what the model choice was read from
        choice = choose_models(self.models.task_model, self.models.allowed_models, source.decode(errors="replace"))
        session = AgentSession(self.models, ctx, choice)
        session.agent_deadline = asyncio.get_running_loop().time() + (ctx.timeout_sec or 1e9)
        ctx.logs_dir.mkdir(parents=True, exist_ok=True)
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        stdout = open(ctx.logs_dir / "agent-stdout.txt", "wb")
        stderr = open(ctx.logs_dir / "agent-stderr.txt", "wb")
        try:
            running, trajectory = await launch(self.jail, source, self.agent_file, ctx.logs_dir,
                                               (to_child_r, from_child_w), stdout, stderr)
        except BaseException as exc:
            os.close(to_child_w)
            os.close(from_child_r)
            if isinstance(exc, JailUnavailable):
                raise InfraError(str(exc), "jail", retryable=False) from exc
            raise
        finally:
            for fd in (to_child_r, from_child_w):
                os.close(fd)
            stdout.close()
            stderr.close()
        channel: ParentChannel | None = None
        try:
            channel = await ParentChannel.connect(from_child_r, to_child_w)
            await self._serve(session, running, channel, trajectory, ctx)
        finally:
            if channel is not None:
                channel.close()
            running.kill()
            try:
                with contextlib.suppress(ProcessLookupError, ChildProcessError):
                    await asyncio.shield(running.proc.wait())
                session.notes += await asyncio.shield(running.copy_logs(ctx.logs_dir))
            finally:
                running.close()
                _note(ctx.logs_dir, session.notes)
                ctx.outcome = session.outcome()
                await asyncio.shield(_close_clients(session))
        return self._verdict(session, running.proc.returncode, ctx)

    async def _serve(self, session: AgentSession, running: RunningJail, channel: ParentChannel, trajectory: str,
                     ctx: AgentContext) -> None:
        await _await_ready(running, channel, ctx)
        channel.send({"instruction": ctx.task.instruction, "workdir": ctx.workdir, "timeout_sec": ctx.timeout_sec,
                      "task_model": session.choice.default, "session_id": f"{ctx.trial_id}-{uuid.uuid4().hex[:6]}",
                      "trajectory_path": trajectory, "skills_dir": ctx.task.config.environment.skills_dir})
        stop = _Stop()
        watch = asyncio.create_task(_watch(running, stop, ctx.logs_dir))
        slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        pending: set[asyncio.Task] = set()
        try:
            while not stop.failures:
                request = await stop.first_of(channel.receive())
                if request is None:
                    break
                if request.get("op") == "done":
                    session.done = request  # do not wait for EOF: a child of the agent may still hold the pipe
                    break
                if await stop.first_of(slots.acquire()) is None:
                    break
                task = asyncio.create_task(_respond(session, channel, request, stop, slots))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if not stop.failures:
                await stop.first_of(self._wait_exit(session, running, ctx))
            stop.raise_first()
        finally:
            watch.cancel()
            for task in pending:
                task.cancel()

    async def _wait_exit(self, session: AgentSession, running: RunningJail, ctx: AgentContext) -> bool:
        if session.done is None:
            await running.proc.wait()
            return True
        try:  # it said it is done: a thread or child it left running must not hold the trial
            await asyncio.wait_for(running.proc.wait(), DONE_GRACE_SEC)
        except TimeoutError:
            session.lingered = True  # run()'s cleanup kills the jail
            session.notes.append(f"agent.py reported done but had not exited after {DONE_GRACE_SEC:g} s; "
                                 "its processes were killed")
        return True

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


class _Stop:
    """The first failure of a trial's handlers or its watch, and a way to stop waiting on it."""

    def __init__(self) -> None:
        self.failures: list[BaseException] = []
        self.failed = asyncio.Event()

    def fail(self, exc: BaseException) -> None:
        self.failures.append(exc)
        self.failed.set()

    async def first_of(self, awaitable) -> Any:
        """What awaitable returns, or None as soon as something failed."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(self.failed.wait())
        try:
            await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not work.done():
                work.cancel()
        return work.result() if work.done() and not work.cancelled() and not self.failures else None

    def raise_first(self) -> None:
        if self.failures:
            raise self.failures[0]


_MODEL_INFRA_KINDS = ((ModelUnavailableError, "model_unavailable"), (ModelAuthError, "model_auth"),
                      (ModelConfigError, "model_config"))


async def _respond(session: AgentSession, channel: ParentChannel, request: dict[str, Any], stop: _Stop,
                   slots: asyncio.Semaphore) -> None:
    try:
        if "bad_request" in request:
            response = {"ok": False, "error": f"bad request: {request['bad_request']}", "kind": "bad_request"}
        else:
            response = await session.handle(request)
    except (ModelUnavailableError, ModelAuthError, ModelConfigError) as exc:
        # Not the agent's fault: the trial becomes an infra error, never a score.
        kind = next(k for cls, k in _MODEL_INFRA_KINDS if isinstance(exc, cls))
        # An outage may pass; bad credentials or a bad model config stay as they are.
        stop.fail(InfraError(f"model API: {exc}", kind, retryable=exc.retryable))
        return
    except (InfraError, AgentError) as exc:
        stop.fail(exc)
        return
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A malformed request (missing or mistyped fields) is refused, not left unanswered.
        response = {"ok": False, "error": f"bad request: {type(exc).__name__}: {exc}", "kind": "bad_request"}
    finally:
        slots.release()
    response["id"] = request.get("id")
    channel.send(response)


async def _await_ready(running: RunningJail, channel: ParentChannel, ctx: AgentContext) -> None:
    """The runtime's first line says the jail is up; then the parent takes hold of its places."""
    # Nothing of agent.py has run yet: a jail that did not start is ours to explain. Silence may
    # be a loaded machine (worth another try); a jail that exited or spoke garbage will again.
    try:
        first = await asyncio.wait_for(channel.receive(), READY_TIMEOUT_SEC)
    except TimeoutError as exc:
        raise InfraError(f"the agent's jail did not start: no answer in {READY_TIMEOUT_SEC:g} s", "jail") from exc
    except AgentError as exc:
        raise InfraError(f"the agent's jail did not start: {exc}", "jail", retryable=False) from exc
    if first is None or first.get("op") != "ready":
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(running.proc.wait(), 5)
        raise InfraError(f"the agent's jail did not start (exit {running.proc.returncode}): "
                         f"{_tail(ctx.logs_dir / 'agent-stderr.txt')}", "jail", retryable=False)
    try:
        running.attach()
    except OSError as exc:
        raise InfraError(f"cannot reach the agent's jail: {exc}", "jail") from exc


async def _watch(running: RunningJail, stop: _Stop, logs_dir: Path) -> None:
    """Count the files in the jail's places (a tmpfs caps bytes, not files), and copy the
    trajectory out as it grows, so that a person can watch the turns while the trial runs."""
    while True:
        await asyncio.sleep(WATCH_INTERVAL_SEC)
        reason = running.over_limit()
        if reason:
            stop.fail(AgentError(reason, "jail_limit"))
            return
        await running.snapshot_trajectory(logs_dir / "trajectory.json")


@functools.cache
def _warn_unjailed() -> None:
    """Once per process: a climb builds many agents."""
    log.warning("agent.py runs WITHOUT isolation (--jail none): it can read your files, the "
                "tasks' tests and solutions, and the Docker socket")


async def _close_clients(session: AgentSession) -> None:
    for client in session.clients.values():
        with contextlib.suppress(Exception):
            await client.aclose()


def _note(logs_dir: Path, notes: list[str]) -> None:
    if notes:  # never through a link, whoever could have left one there
        append_text(logs_dir / "agent-stderr.txt", "".join(f"[climb] {note}\n" for note in notes))


def _tail(path: Path) -> str:
    text = read_tail(path, STDERR_TAIL)  # the jail wrote this folder: no link followed, no fifo read
    if text is None:
        return "(no stderr)"
    return text.strip() or "(no output)"

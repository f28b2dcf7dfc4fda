"""One container's lifecycle over the Docker SDK: start, exec, archives in and out, remove
(what the tamper audit reads is in ``docker_audit``).

Every blocking SDK call runs on the suite's Docker executor (``docker_host.docker_executor``),
never on asyncio's small shared pool. A trial's agent commands are bounded and queued
per container, so one trial's flood waits its own turn. A container's main process is
a bounded ``sleep`` so a leaked one dies on its own, and teardown is a forced remove
(SIGKILL), never a graceful ten-second stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import docker
import docker.errors
import docker.types

from sandbox.archive import bytes_tar, path_tar
from sandbox.archive_files import ArchiveFiles
from sandbox.docker_audit import AuditMixin
from sandbox.docker_host import (EXECS_PER_TRIAL, LABEL_MANAGED, LABEL_OWNER, LABEL_RUN, LABEL_TASK,
                                 LABEL_TRIAL, connect, docker_errors, owner_alive, owner_token, sweep)
from sandbox.environment import KILL_AFTER_SEC, ExecResult, InfraError, bash_argv
from sandbox.stage import StageMixin, remove_door

__all__ = ["LABEL_MANAGED", "LABEL_OWNER", "LABEL_RUN", "LABEL_TASK", "LABEL_TRIAL", "ContainerSpec", "DockerContainer",
           "bytes_tar", "connect", "docker_errors", "owner_alive", "owner_token", "path_tar", "sweep"]

T = TypeVar("T")
OUTPUT_LIMIT_BYTES = 8 * 1024 * 1024
"""Per stream; beyond this, exec output is dropped (and flagged) so a runaway command cannot exhaust memory."""
HOST_GRACE_SEC = 15.0
"""Extra time the host waits beyond the in-container timeout before giving up on an exec."""


@dataclass(frozen=True)
class ContainerSpec:
    """How to start one trial's container."""

    image: str
    name: str
    labels: dict[str, str]
    network_disabled: bool = False
    cpus: float | None = None
    memory_mb: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    workdir: str | None = None
    lifetime_sec: int = 4 * 3600
    """The main process sleeps this long, then the container stops by itself."""
    pids_limit: int | None = 4096
    execs_at_once: int = EXECS_PER_TRIAL
    """Agent commands running at once; more are queued."""
    stage_host: str | None = None
    """A host folder mounted read-only at ``stage_at`` for the verifier's files (``sandbox.stage``);
    removed with the container."""
    stage_at: str | None = None


class DockerContainer(ArchiveFiles, AuditMixin, StageMixin):
    """A running trial container; implements ``Environment`` and ``Auditable``."""

    def __init__(self, client: docker.DockerClient, container_id: str, spec: ContainerSpec,
                 executor: Executor | None = None):
        self.client = client
        self.id = container_id
        self.spec = spec
        self._executor = executor
        self._exec_slots = asyncio.Semaphore(spec.execs_at_once)
        self._removed = False
        self._inspection: asyncio.Future[dict] | None = None

    def _run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @classmethod
    async def start(cls, client: docker.DockerClient, spec: ContainerSpec,
                    executor: Executor | None = None) -> DockerContainer:
        """Create and start the container; on any failure or cancellation, nothing is left behind."""
        future = asyncio.get_running_loop().run_in_executor(executor, cls._start_sync, client, spec, executor)
        try:
            container = await asyncio.shield(future)
        except asyncio.CancelledError:
            # The worker thread cannot be interrupted and may yet create the container
            # (after the suite's sweep has looked): wait for it and remove what it made.
            with contextlib.suppress(Exception):
                container = await future
                await container.remove()
            raise
        container._inspected()  # while the agent works: the audit needs the layers and the init's pid
        return container

    @classmethod
    def _start_sync(cls, client: docker.DockerClient, spec: ContainerSpec, executor) -> DockerContainer:
        api = client.api
        host_config: dict[str, Any] = {
            "init": True,
            "network_mode": "none" if spec.network_disabled else "bridge",
            "pids_limit": spec.pids_limit,
        }
        if spec.cpus:
            host_config["nano_cpus"] = int(spec.cpus * 1e9)
        if spec.memory_mb:
            host_config["mem_limit"] = f"{spec.memory_mb}m"
            host_config["memswap_limit"] = f"{spec.memory_mb}m"
        if spec.stage_host:
            host_config["mounts"] = [docker.types.Mount(spec.stage_at, spec.stage_host, type="bind", read_only=True)]
        with docker_errors(f"creating container {spec.name}"):
            created = api.create_container(
                spec.image,
                command=["sleep", str(int(spec.lifetime_sec))],
                name=spec.name,
                labels={**spec.labels, LABEL_MANAGED: "1", LABEL_OWNER: owner_token()},
                environment=spec.env or None,
                working_dir=spec.workdir,
                host_config=api.create_host_config(**host_config),
                network_disabled=spec.network_disabled,
            )
        container = cls(client, created["Id"], spec, executor)
        try:
            with docker_errors(f"starting container {spec.name}"):
                api.start(created["Id"])
        except BaseException:
            container._remove_sync()
            raise
        return container

    # ----- commands ----------------------------------------------------------------------------
    async def exec(self, cmd: str, *, timeout: float | None = None, user: str | int | None = None,
                   env: dict[str, str] | None = None, cwd: str | None = None) -> ExecResult:
        argv = bash_argv(cmd, timeout)
        # The slot is held until the Docker call really ends (not when its caller gives up),
        # so a trial never has more than its share of threads busy.
        await self._exec_slots.acquire()
        try:
            future = self._run(self._exec_sync, argv, user, env, cwd or self.spec.workdir)
        except BaseException:
            self._exec_slots.release()
            raise
        future.add_done_callback(self._slot_done)
        bound = None if timeout is None else timeout + KILL_AFTER_SEC + HOST_GRACE_SEC
        result = await self._bounded(future, bound)
        if result.exit_code in (124, 137) and timeout is not None and result.duration_s >= timeout * 0.98:
            return ExecResult(result.exit_code, result.stdout, result.stderr, True, result.duration_s,
                              result.truncated)
        return result

    def _slot_done(self, future: asyncio.Future) -> None:
        self._exec_slots.release()
        if not future.cancelled():
            future.exception()  # retrieved: a caller that gave up (cancelled) would leave it unlogged noise

    async def exec_argv(self, argv: list[str], *, timeout: float | None = None, user: str | int | None = None,
                        env: dict[str, str] | None = None, cwd: str | None = None) -> ExecResult:
        if not argv or not argv[0].startswith("/"):
            raise ValueError("exec_argv needs an absolute program path")
        future = self._run(self._exec_sync, list(argv), user, env, cwd or self.spec.workdir)
        return await self._bounded(future, timeout)

    async def _bounded(self, future: asyncio.Future, bound: float | None) -> ExecResult:
        started = time.monotonic()
        try:
            exit_code, out, err, truncated = await asyncio.wait_for(asyncio.shield(future), bound)
        except TimeoutError:
            # The command did not end in time (a wedged daemon, or a program that ignores its
            # own timeout). Give up on it; removing the container at teardown ends the stream.
            future.add_done_callback(lambda f: f.exception())
            return ExecResult(-1, "", "host-side timeout", True, time.monotonic() - started)
        return ExecResult(exit_code, out, err, False, time.monotonic() - started, truncated)

    def _exec_sync(self, argv: list[str], user, env, cwd) -> tuple[int, str, str, bool]:
        api = self.client.api
        with docker_errors(f"exec in {self.spec.name}"):
            created = api.exec_create(self.id, argv, user="" if user is None else str(user),
                                      environment=env or None, workdir=cwd)
            chunks: dict[int, list[bytes]] = {1: [], 2: []}
            sizes = {1: 0, 2: 0}
            truncated = False
            for out, err in api.exec_start(created["Id"], stream=True, demux=True):
                for fd, data in ((1, out), (2, err)):
                    if not data:
                        continue
                    room = OUTPUT_LIMIT_BYTES - sizes[fd]
                    if room <= 0:
                        truncated = True
                        continue
                    if len(data) > room:
                        data, truncated = data[:room], True
                    chunks[fd].append(data)
                    sizes[fd] += len(data)
            exit_code = api.exec_inspect(created["Id"])["ExitCode"]
        decode = lambda parts: b"".join(parts).decode("utf-8", errors="replace")  # noqa: E731
        return (-1 if exit_code is None else exit_code), decode(chunks[1]), decode(chunks[2]), truncated

    # ----- files -------------------------------------------------------------------------------
    async def put_archive(self, data: bytes, dest: str = "/") -> None:
        def put() -> None:
            with docker_errors(f"upload into {dest} of {self.spec.name}"):
                self.client.api.put_archive(self.id, dest, data)

        await self._run(put)

    async def get_archive(self, path: str, consume: Callable[[Iterable[bytes]], T]) -> T:
        local = await self._local_reader()  # read on this host where the container is proven ours

        def get() -> T:
            stream = local(path) if local else None
            if stream is not None:
                with contextlib.closing(stream):
                    return consume(stream)
            missing = None
            with docker_errors(f"download {path} from {self.spec.name}"):
                try:
                    stream, _ = self.client.api.get_archive(self.id, path, chunk_size=256 * 1024)
                except docker.errors.NotFound as exc:
                    missing = exc
            if missing is not None:
                raise FileNotFoundError(f"{path}: not found in the container") from missing
            try:
                return consume(_transport_errors(stream, f"download {path} from {self.spec.name}"))
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()

        return await self._run(get)

    async def _blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._run(fn, *args)

    # ----- state and audit ---------------------------------------------------------------------
    async def running(self) -> bool:
        def state() -> bool:
            with docker_errors(f"inspecting {self.spec.name}"):
                return bool(self.client.api.inspect_container(self.id)["State"].get("Running"))

        return await self._run(state)

    # ----- teardown ----------------------------------------------------------------------------
    async def remove(self) -> None:
        """Kill and remove; safe to call twice; survives cancellation of the caller."""
        if self._removed:
            return
        await asyncio.shield(self._run(self._remove_sync))

    def _remove_sync(self) -> None:
        if self._removed:
            return
        try:
            self.client.api.remove_container(self.id, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise InfraError(f"removing {self.spec.name}: {exc}") from exc
        self._removed = True
        remove_door(self.spec.stage_host)


def _transport_errors(stream: Iterable[bytes], what: str) -> Iterable[bytes]:
    """The stream's chunks, its transport failures as InfraError (the consumer's own
    errors, e.g. writing on the host, stay what they are)."""
    iterator = iter(stream)
    while True:
        with docker_errors(what):
            chunk = next(iterator, None)
        if chunk is None:
            return
        yield chunk

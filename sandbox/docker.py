"""One container's lifecycle over the Docker SDK: start, exec, upload, download, remove.

Every blocking SDK call runs in a worker thread. Docker's errors are mapped to
``InfraError`` in one place (``docker_errors``). A container's main process is a
bounded ``sleep`` so a leaked one dies on its own, and teardown is a forced
remove (SIGKILL), never a graceful ten-second stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import socket
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from sandbox.archive import DownloadTooLarge, bytes_tar, extract_tar, path_tar
from sandbox.environment import ExecResult, InfraError

__all__ = [
    "ContainerSpec",
    "DockerContainer",
    "DownloadTooLarge",
    "bytes_tar",
    "connect",
    "docker_errors",
    "extract_tar",
    "owner_alive",
    "owner_token",
    "path_tar",
    "sweep",
]

LABEL_RUN = "climb.run"
LABEL_TRIAL = "climb.trial"
LABEL_TASK = "climb.task"
LABEL_MANAGED = "climb.managed"
LABEL_OWNER = "climb.owner"
"""host:pid:starttime of the process that started the container, so `climb gc` can
tell a dead run's orphans from a live run's containers."""
OUTPUT_LIMIT_BYTES = 8 * 1024 * 1024
"""Per stream; beyond this, exec output is dropped (and flagged) so a runaway command cannot exhaust memory."""
HOST_GRACE_SEC = 15.0
"""Extra time the host waits beyond the in-container timeout before giving up on an exec."""
KILL_AFTER_SEC = 5
"""``timeout -k``: SIGKILL this long after SIGTERM if the command ignores it."""


@contextlib.contextmanager
def docker_errors(what: str) -> Iterator[None]:
    """Map Docker SDK and transport errors to InfraError, naming the operation."""
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        raise InfraError(f"{what}: image not found: {exc.explanation or exc}", "image") from exc
    except docker.errors.NotFound as exc:
        raise InfraError(f"{what}: not found: {exc.explanation or exc}") from exc
    except docker.errors.APIError as exc:
        raise InfraError(f"{what}: Docker API error: {exc.explanation or exc}") from exc
    except (docker.errors.DockerException, requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError, OSError) as exc:
        raise InfraError(f"{what}: {type(exc).__name__}: {exc}") from exc


def connect(pool_size: int = 32) -> docker.DockerClient:
    """A Docker client from the environment (DOCKER_HOST etc.), sized for parallel trials."""
    with docker_errors("connecting to Docker"):
        client = docker.from_env(max_pool_size=pool_size)
        client.ping()
    return client


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def owner_token(pid: int | None = None) -> str:
    """Identifies this process across pid reuse: host, pid and kernel start time."""
    pid = pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or '?'}"


def owner_alive(token: str) -> bool | None:
    """True/False for a process of this host; None when the token is from another host."""
    try:
        host, pid, started = token.rsplit(":", 2)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    return _start_time(int(pid)) == started


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



class DockerContainer:
    """A running trial container; implements ``sandbox.environment.Environment``."""

    def __init__(self, client: docker.DockerClient, container_id: str, spec: ContainerSpec):
        self.client = client
        self.id = container_id
        self.spec = spec
        self._removed = False

    @classmethod
    async def start(cls, client: docker.DockerClient, spec: ContainerSpec) -> DockerContainer:
        """Create and start the container; on any failure or cancellation, nothing is left behind."""
        future = asyncio.ensure_future(asyncio.to_thread(cls._start_sync, client, spec))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The worker thread cannot be interrupted and may yet create the container
            # (after the suite's sweep has looked): wait for it and remove what it made.
            with contextlib.suppress(Exception):
                container = await future
                await container.remove()
            raise

    @classmethod
    def _start_sync(cls, client: docker.DockerClient, spec: ContainerSpec) -> DockerContainer:
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
        with docker_errors(f"creating container {spec.name}"):
            created = api.create_container(
                spec.image,
                command=["sh", "-c", f"sleep {int(spec.lifetime_sec)}"],
                name=spec.name,
                labels={**spec.labels, LABEL_MANAGED: "1", LABEL_OWNER: owner_token()},
                environment=spec.env or None,
                working_dir=spec.workdir,
                host_config=api.create_host_config(**host_config),
                network_disabled=spec.network_disabled,
            )
        container = cls(client, created["Id"], spec)
        try:
            with docker_errors(f"starting container {spec.name}"):
                api.start(created["Id"])
        except BaseException:
            container._remove_sync()
            raise
        return container

    async def exec(
        self,
        cmd: str,
        *,
        timeout: float | None = None,
        user: str | int | None = None,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> ExecResult:
        argv = ["bash", "-c", cmd]
        if timeout is not None:
            argv = ["timeout", "-k", f"{KILL_AFTER_SEC}s", f"{max(timeout, 0.01):.2f}s", *argv]
        started = time.monotonic()
        future = asyncio.ensure_future(
            asyncio.to_thread(self._exec_sync, argv, user, env, cwd or self.spec.workdir)
        )
        host_bound = None if timeout is None else timeout + KILL_AFTER_SEC + HOST_GRACE_SEC
        try:
            exit_code, out, err, truncated = await asyncio.wait_for(asyncio.shield(future), host_bound)
        except TimeoutError:
            # The in-container timeout did not end the command (e.g. a wedged daemon).
            # Give up on it; removing the container at teardown ends the stream.
            future.add_done_callback(lambda f: f.exception())
            return ExecResult(-1, "", "host-side timeout", True, time.monotonic() - started)
        duration = time.monotonic() - started
        timed_out = timeout is not None and exit_code in (124, 137) and duration >= timeout * 0.98
        return ExecResult(exit_code, out, err, timed_out, duration, truncated)

    def _exec_sync(self, argv: list[str], user, env, cwd) -> tuple[int, str, str, bool]:
        api = self.client.api
        with docker_errors(f"exec in {self.spec.name}"):
            created = api.exec_create(
                self.id,
                argv,
                user="" if user is None else str(user),
                environment=env or None,
                workdir=cwd,
            )
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

    async def upload(self, src: Path, dest: str, executable: bool = False) -> None:
        data = await asyncio.to_thread(path_tar, Path(src), dest, executable)
        await self._put("/", data, f"upload {src} -> {dest}")

    async def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        await self._put("/", bytes_tar(path, data, mode), f"write {path}")

    async def _put(self, where: str, data: bytes, what: str) -> None:
        def put() -> None:
            with docker_errors(f"{what} in {self.spec.name}"):
                self.client.api.put_archive(self.id, where, data)

        await asyncio.to_thread(put)

    async def download(self, src: str, dest: Path, max_bytes: int | None = None) -> None:
        """Copy src into the host folder dest (src's basename is created inside dest)."""

        def get() -> None:
            with docker_errors(f"download {src} from {self.spec.name}"):
                stream, _ = self.client.api.get_archive(self.id, src)
                extract_tar(stream, Path(dest), max_bytes)

        await asyncio.to_thread(get)

    async def read_file(self, path: str, max_bytes: int = 10_000_000) -> bytes:
        def get() -> bytes:
            with docker_errors(f"read {path} from {self.spec.name}"):
                stream, stat = self.client.api.get_archive(self.id, path)
                if stat.get("size", 0) > max_bytes:
                    raise InfraError(f"{path} is larger than {max_bytes} bytes", "file")
                with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                    member = tar.next()
                    if member is None or not member.isreg():
                        raise FileNotFoundError(f"{path} is not a regular file")
                    fh = tar.extractfile(member)
                    return fh.read() if fh else b""

        return await asyncio.to_thread(get)

    async def remove(self) -> None:
        """Kill and remove; safe to call twice; survives cancellation of the caller."""
        if self._removed:
            return
        await asyncio.shield(asyncio.to_thread(self._remove_sync))

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


def sweep(client: docker.DockerClient, labels: dict[str, str]) -> list[str]:
    """Force-remove every container carrying all the given labels. Returns their names."""
    filters = {"label": [f"{k}={v}" if v else k for k, v in labels.items()]}
    removed = []
    with docker_errors("listing containers"):
        found = client.api.containers(all=True, filters=filters)
    for info in found:
        try:
            client.api.remove_container(info["Id"], force=True, v=True)
        except docker.errors.NotFound:
            continue
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise InfraError(f"removing container {info['Id'][:12]}: {exc}") from exc
        removed.append((info.get("Names") or [info["Id"]])[0].lstrip("/"))
    return removed

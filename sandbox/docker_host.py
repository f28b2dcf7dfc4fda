"""The Docker daemon as a whole: connecting, error mapping, labels and ownership, the
worker threads blocking SDK calls run on, sweeping containers by label."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from sandbox.environment import InfraError

LABEL_RUN = "climb.run"
LABEL_TRIAL = "climb.trial"
LABEL_TASK = "climb.task"
LABEL_MANAGED = "climb.managed"
LABEL_OWNER = "climb.owner"
"""host:pid:starttime of the process that started the container, so `climb gc` can
tell a dead run's orphans from a live run's containers."""
EXECS_PER_TRIAL = 8
"""Agent commands one trial may have running at once; more wait their turn (per trial),
so one trial's flood cannot take the threads and connections every trial needs."""
CALLS_PER_TRIAL = 4
"""Other blocking calls a trial may make at once (start, archive, audit, verifier, remove)."""
SPARE_THREADS = 4
"""For calls outside trials: sweeps, inspections."""


def threads_for(concurrency: int, execs_per_trial: int = EXECS_PER_TRIAL) -> int:
    """Worker threads (and Docker connections) a suite of ``concurrency`` trials needs so
    that every trial, flooding or not, always has its own share."""
    return max(1, concurrency) * (execs_per_trial + CALLS_PER_TRIAL) + SPARE_THREADS


def docker_executor(concurrency: int, execs_per_trial: int = EXECS_PER_TRIAL) -> ThreadPoolExecutor:
    """The pool blocking Docker calls run on: sized for the suite, not asyncio's shared
    default pool (a handful of threads that one trial's commands could hold)."""
    return ThreadPoolExecutor(max_workers=threads_for(concurrency, execs_per_trial),
                              thread_name_prefix="climb-docker")


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


def connect(concurrency: int = 4) -> docker.DockerClient:
    """A Docker client from the environment (DOCKER_HOST etc.), its connection pool sized
    like the worker threads of ``concurrency`` parallel trials (one connection per thread)."""
    with docker_errors("connecting to Docker"):
        client = docker.from_env(max_pool_size=threads_for(concurrency))
        client.ping()
    return client


@dataclass(frozen=True)
class HostResources:
    """What the Docker host can give one container."""

    cpus: int
    memory_mb: int


def host_resources(client: docker.DockerClient) -> HostResources:
    with docker_errors("reading the Docker host's resources"):
        info = client.info()
    return HostResources(int(info.get("NCPU") or 0), int(info.get("MemTotal") or 0) // (1024 * 1024))


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

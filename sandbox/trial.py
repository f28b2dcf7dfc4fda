"""One trial: environment up -> agent -> tamper audit -> verifier -> reward -> logs, as Harbor does it.

The environment is our own Docker container by default; another engine (``EnvBackend``,
e.g. one of Harbor's environments) can start it instead, and the same phases run on top.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import time
import uuid
from datetime import datetime, UTC
from pathlib import Path
from typing import Any, Protocol

import docker

from sandbox.agents import Agent, AgentOutcome
from sandbox.docker import LABEL_RUN, LABEL_TASK, LABEL_TRIAL, ContainerSpec, DockerContainer
from sandbox.docker_host import HostResources, docker_executor, host_resources
from sandbox.environment import InfraError, unexpected
from sandbox.images import ImageCache, ImageInfo
from sandbox.phases import agent_phase, verifier_phase
from sandbox.results import TrialResult, TrialStatus, write_result
from sandbox.reward import headline
from sandbox.stage import NO_SOURCE, new_door, remove_door
from sandbox.task import Task
from sandbox.trial_state import Attempt, TrialConfig, TrialSpec
from sandbox.verify import healthcheck

log = logging.getLogger(__name__)
__all__ = ["Attempt", "EnvBackend", "TrialConfig", "TrialRunner", "TrialSpec", "container_name", "new_trial_id"]


def new_trial_id(task: Task, repeat: int) -> str:
    return f"{task.id}__r{repeat}__{uuid.uuid4().hex[:8]}"


def container_name(run_id: str, trial_id: str, attempt: int) -> str:
    raw = f"climb-{run_id}-{trial_id}-a{attempt}"
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", raw)[:200]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class EnvBackend(Protocol):
    """Another engine's environments (``sandbox.harbor_backend.HarborBackend``)."""

    name: str

    async def start_trial(self, task: Task, name: str, trial_dir: Path) -> tuple[ImageInfo, Any]:
        """Build and start the task's environment: the image facts the verifier needs, and an
        ``Environment`` whose ``remove()`` tears it down.

        Raises:
            InfraError: the engine could not start it.
        """
        ...

    def preflight(self, tasks: list[Task]) -> dict[str, str]:
        """Why each task cannot run on this engine (task id -> message naming task and engine)."""
        ...


class TrialRunner:
    """Runs trials for one run id on our local Docker daemon, or on another engine's environments.

    ``concurrency`` is how many trials may run at once: it sizes the worker threads
    blocking Docker calls run on (see ``docker_host.threads_for``).
    """

    def __init__(self, client: docker.DockerClient | None, images: ImageCache | None, run_id: str,
                 config: TrialConfig | None = None, *, concurrency: int = 4, backend: EnvBackend | None = None):
        self.client = client
        """Docker, for our containers and for sweeping by label (None when nothing runs on local Docker)."""
        self.images = images
        self.run_id = run_id
        self.config = config or TrialConfig()
        self.backend = backend
        """None: our own Docker backend."""
        if backend is None and (client is None or images is None):
            raise ValueError("our Docker backend needs a Docker client and an image cache")
        self.executor = docker_executor(concurrency, self.config.execs_at_once)
        self._resources: HostResources | None = None
        self._doors = True
        """Whether containers get the verifier's read-only door (``sandbox.stage``); off for good
        once the daemon says it cannot see our folders."""
        self._removals: set[asyncio.Task] = set()

    @property
    def engine(self) -> str:
        """Where the trials run, in words: ``docker`` or the backend's name (``harbor:daytona``)."""
        return self.backend.name if self.backend is not None else "docker"

    def _remove_later(self, env: Any, trial_id: str) -> None:
        """Remove the environment while the next trial starts: nothing of the result depends on it.
        ``drain`` waits for every removal; a process killed before that leaves containers that
        carry the run's labels, which the next sweep by label removes."""
        task = asyncio.get_running_loop().create_task(self._remove(env, trial_id))
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)

    async def _remove(self, env: Any, trial_id: str) -> None:
        try:
            await env.remove()
        except InfraError as exc:
            log.warning("teardown of trial %s on %s: %s", trial_id, self.engine, exc)

    async def drain(self) -> None:
        """Wait until every environment of a finished trial is removed."""
        while self._removals:
            await asyncio.gather(*list(self._removals), return_exceptions=True)

    def agent_timeout(self, task: Task) -> float:
        base = task.agent_timeout_sec or self.config.default_agent_timeout_sec
        return base * self.config.agent_timeout_multiplier

    async def run(self, spec: TrialSpec, agent: Agent) -> TrialResult:
        """Run one trial, retrying retryable infra errors with backoff; always returns a result."""
        history: list[str] = []
        backoff = self.config.retry_backoff_sec
        for attempt in range(1, self.config.max_attempts + 1):
            result = await self._attempt(spec, agent, attempt, history)
            final = result.status != TrialStatus.INFRA_ERROR or result.retryable is False
            if final or attempt == self.config.max_attempts:
                write_result(result, spec.trial_dir)
                return result
            history.append(f"attempt {attempt}: infra_error ({result.error_kind}): {result.error}")
            await asyncio.sleep(backoff)
            backoff *= 2
        raise AssertionError("unreachable")

    async def _attempt(self, spec: TrialSpec, agent: Agent, attempt: int, history: list[str]) -> TrialResult:
        task, trial_dir = spec.task, spec.trial_dir
        state = Attempt(warnings=list(history))
        if self.backend is None and task.config.environment.network_mode.value == "allowlist":
            state.warnings.append("network_mode=allowlist is not enforced: the container has the public network")
        started_at, t_total = _now(), time.monotonic()
        container: Any = None
        try:
            for sub in ("agent", "verifier", "artifacts"):
                shutil.rmtree(trial_dir / sub, ignore_errors=True)  # never follows links
                (trial_dir / sub).mkdir(parents=True, exist_ok=True)
            t = time.monotonic()
            image, container = await self._start(spec, attempt, state)
            workdir = self._workdir(task, image)
            if task.config.environment.healthcheck:
                await healthcheck(container, task.config.environment.healthcheck, workdir)
            state.timings.start_s = time.monotonic() - t - state.timings.build_s
            t = time.monotonic()
            await agent_phase(spec, agent, container, self.agent_timeout(task), workdir, self.run_id, state)
            state.timings.agent_s = time.monotonic() - t
            if state.status != TrialStatus.INFRA_ERROR:
                t = time.monotonic()
                await verifier_phase(spec, agent, container, image, workdir, self.config, state)
                state.timings.verifier_s = time.monotonic() - t
        except InfraError as exc:
            state.fail(TrialStatus.INFRA_ERROR, exc.kind, str(exc), exc.retryable)
        except Exception as exc:  # this trial's failure, not the suite's
            error = unexpected(exc)
            state.fail(TrialStatus.INFRA_ERROR, error.kind, str(error), error.retryable)
        finally:
            if container is not None:
                self._remove_later(container, spec.trial_id)
        state.timings.total_s = time.monotonic() - t_total
        return self._result(spec, agent, attempt, state, started_at)

    def _result(self, spec: TrialSpec, agent: Agent, attempt: int, state: Attempt, started_at: str) -> TrialResult:
        outcome = state.outcome or AgentOutcome()
        return TrialResult(
            run_id=self.run_id, trial_id=spec.trial_id, task=spec.task.id, repeat=spec.repeat, attempt=attempt,
            agent=getattr(agent, "name", type(agent).__name__), model=outcome.model, status=state.status,
            rewards=state.rewards, reward=None if state.rewards is None else headline(state.rewards),
            error=state.error, error_kind=state.error_kind, retryable=state.retryable,
            verifier_exit_code=state.verifier_exit_code, tamper=state.tamper, timings=state.timings,
            started_at=started_at, finished_at=_now(), usage=outcome.usage,
            warnings=state.warnings + list(outcome.warnings), trial_dir=str(spec.trial_dir),
        )

    async def _start(self, spec: TrialSpec, attempt: int, state: Attempt) -> tuple[ImageInfo, Any]:
        """The trial's environment, started. Another engine builds and starts in one step (its
        build time is part of start_s) and checks its own resources (Harbor's capability
        checks, at preflight); ours checks the Docker host's, builds, then starts."""
        name = container_name(self.run_id, spec.trial_id, attempt)
        if self.backend is not None:
            return await self.backend.start_trial(spec.task, name, spec.trial_dir)
        assert self.images is not None and self.client is not None  # __init__ checked it
        await self._check_resources(spec.task)
        t = time.monotonic()
        image = await self.images.ensure(spec.task)
        state.timings.build_s = time.monotonic() - t
        return image, await self._start_container(spec, image, name)

    async def _start_container(self, spec: TrialSpec, image: ImageInfo, name: str) -> DockerContainer:
        assert self.client is not None
        door = self._new_door(name)
        try:
            return await DockerContainer.start(self.client, self._container_spec(spec, image, name, door),
                                               self.executor)
        except BaseException as exc:
            remove_door(door and door[0])  # a container that started removes its own with itself
            if door is None or not isinstance(exc, InfraError) or NO_SOURCE not in str(exc):
                raise
        log.info("the Docker daemon cannot see %s: verification uploads its files instead", door[0].parent)
        self._doors = False
        return await DockerContainer.start(self.client, self._container_spec(spec, image, name, None), self.executor)

    def _new_door(self, name: str) -> tuple[Path, str] | None:
        if not self._doors:
            return None
        try:
            return new_door(name)
        except OSError as exc:  # no room or no right to write in the cache folder: upload instead
            log.warning("cannot make the verifier's door for %s (%s): verification uploads its files instead",
                        name, exc)
            self._doors = False
            return None

    async def _check_resources(self, task: Task) -> None:
        """A task asking for more CPUs or memory than the Docker host has fails here, by name."""
        env = task.config.environment
        if env.cpus is None and env.memory_mb is None:
            return
        if self._resources is None:
            self._resources = await asyncio.get_running_loop().run_in_executor(
                self.executor, host_resources, self.client)
        have = self._resources
        where = task.path / "task.toml"
        if env.cpus is not None and have.cpus and env.cpus > have.cpus:
            raise InfraError(f"{where}: [environment].cpus = {env.cpus:g} is more than the Docker host has "
                             f"({have.cpus} CPUs)", "resources", retryable=False)
        if env.memory_mb is not None and have.memory_mb and env.memory_mb > have.memory_mb:
            raise InfraError(f"{where}: [environment].memory_mb = {env.memory_mb} is more than the Docker host "
                             f"has ({have.memory_mb} MB)", "resources", retryable=False)

    def _workdir(self, task: Task, image: ImageInfo) -> str | None:
        return task.config.environment.workdir or image.workdir or None

    def _container_spec(self, spec: TrialSpec, image: ImageInfo, name: str,
                        door: tuple[Path, str] | None) -> ContainerSpec:
        env = spec.task.config.environment
        lifetime = self.agent_timeout(spec.task) + spec.task.config.verifier.timeout_sec + 900
        return ContainerSpec(
            image=image.tag,
            name=name,
            labels={LABEL_RUN: self.run_id, LABEL_TRIAL: spec.trial_id, LABEL_TASK: spec.task.id},
            network_disabled=env.network_mode.value == "no-network",
            cpus=env.cpus,
            memory_mb=env.memory_mb,
            env=spec.task.container_env,
            workdir=env.workdir,
            lifetime_sec=int(lifetime),
            execs_at_once=self.config.execs_at_once,
            stage_host=str(door[0]) if door else None,
            stage_at=door[1] if door else None,
        )

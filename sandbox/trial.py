"""One trial: environment up -> agent -> verifier -> reward -> artifacts, as Harbor does it."""

from __future__ import annotations

import asyncio
import re
import shutil
import tarfile
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import docker
from pydantic import BaseModel, ConfigDict

from sandbox.agents import Agent, AgentContext, AgentError, AgentOutcome
from sandbox.docker import LABEL_RUN, LABEL_TASK, LABEL_TRIAL, ContainerSpec, DockerContainer, extract_tar
from sandbox.environment import InfraError
from sandbox.images import ImageCache, ImageInfo
from sandbox.results import Timings, TrialResult, TrialStatus, write_result
from sandbox.reward import RewardError, headline, parse_reward
from sandbox.task import Task
from sandbox.verify import VerifyOutcome, healthcheck, verify


NOT_RETRIED = {"build", "model_auth", "model_config", "jail"}
"""Infra errors a retry cannot fix (the image cache already retried the build; bad
credentials and a missing jail stay bad)."""


class TrialConfig(BaseModel):
    """Knobs of the trial lifecycle."""

    model_config = ConfigDict(extra="forbid")
    max_attempts: int = 3
    """Attempts per trial when Docker or the model API fails (infra errors only)."""
    retry_backoff_sec: float = 2.0
    """First backoff between attempts; doubles each time."""
    default_agent_timeout_sec: float = 1800.0
    """Agent budget for tasks whose task.toml sets none."""
    agent_timeout_multiplier: float = 1.0
    """Scales every task's agent timeout (slow machines, slow models)."""
    logs_max_bytes: int = 200 * 1024 * 1024
    """Cap on what is copied out of /logs per trial."""


@dataclass(frozen=True)
class TrialSpec:
    """Which task, which repeat, where its files go."""

    task: Task
    repeat: int
    trial_id: str
    trial_dir: Path


def new_trial_id(task: Task, repeat: int) -> str:
    return f"{task.id}__r{repeat}__{uuid.uuid4().hex[:8]}"


def container_name(run_id: str, trial_id: str, attempt: int) -> str:
    raw = f"climb-{run_id}-{trial_id}-a{attempt}"
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", raw)[:200]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class _Attempt:
    status: TrialStatus = TrialStatus.OK
    error: str | None = None
    error_kind: str | None = None
    rewards: dict[str, float] | None = None
    outcome: AgentOutcome | None = None
    warnings: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)

    def fail(self, status: TrialStatus, kind: str, error: str) -> None:
        if self.status == TrialStatus.OK or status == TrialStatus.INFRA_ERROR:
            self.status, self.error_kind, self.error = status, kind, error
        else:
            self.warnings.append(f"{kind}: {error}")


class EnvBackend(Protocol):
    """Another engine's environments (e.g. ``sandbox.harbor_backend.HarborBackend``)."""

    name: str

    async def start_trial(self, task: Task, name: str, trial_dir: Path) -> tuple[ImageInfo, Any]:
        """Start the task's environment: the image facts the verifier needs, and an
        Environment whose ``remove()`` tears it down. Raises InfraError."""
        ...

    def preflight(self, tasks: list[Task]) -> dict[str, str]:
        """Why each task cannot run on this engine (task id -> message)."""
        ...


class TrialRunner:
    """Runs trials for one run id on our local Docker, or on another engine's environments."""

    def __init__(self, client: docker.DockerClient | None, images: ImageCache | None, run_id: str,
                 config: TrialConfig | None = None, *, backend: EnvBackend | None = None):
        self.client = client
        """Docker, for our containers and for sweeping by label (None when nothing runs locally)."""
        self.images = images
        self.run_id = run_id
        self.config = config or TrialConfig()
        self.backend = backend
        """None: our own Docker backend."""

    def agent_timeout(self, task: Task) -> float:
        base = task.agent_timeout_sec or self.config.default_agent_timeout_sec
        return base * self.config.agent_timeout_multiplier

    async def run(self, spec: TrialSpec, agent: Agent) -> TrialResult:
        """Run one trial, retrying infra errors with backoff; always returns a result."""
        history: list[str] = []
        backoff = self.config.retry_backoff_sec
        for attempt in range(1, self.config.max_attempts + 1):
            result = await self._attempt(spec, agent, attempt, history)
            final = result.status != TrialStatus.INFRA_ERROR or result.error_kind in NOT_RETRIED
            if final or attempt == self.config.max_attempts:
                write_result(result, spec.trial_dir)
                return result
            history.append(f"attempt {attempt}: infra_error ({result.error_kind}): {result.error}")
            await asyncio.sleep(backoff)
            backoff *= 2
        raise AssertionError("unreachable")

    async def _attempt(self, spec: TrialSpec, agent: Agent, attempt: int, history: list[str]) -> TrialResult:
        task, trial_dir = spec.task, spec.trial_dir
        for sub in ("agent", "verifier", "artifacts"):
            shutil.rmtree(trial_dir / sub, ignore_errors=True)
            (trial_dir / sub).mkdir(parents=True, exist_ok=True)
        state = _Attempt(warnings=list(history))
        if task.config.environment.network_mode.value == "allowlist":
            state.warnings.append("network_mode=allowlist is not enforced: the container has the public network")
        started_at, t_total = _now(), time.monotonic()
        container: DockerContainer | None = None
        try:
            t = time.monotonic()
            image, container = await self._start(spec, attempt, state)
            if task.config.environment.healthcheck:
                await healthcheck(container, task.config.environment.healthcheck, self._workdir(task, image))
            state.timings.start_s = time.monotonic() - t - state.timings.build_s
            t = time.monotonic()
            await self._agent_phase(spec, agent, container, image, state)
            state.timings.agent_s = time.monotonic() - t
            if state.status != TrialStatus.INFRA_ERROR:
                t = time.monotonic()
                await self._verifier_phase(spec, container, image, state)
                state.timings.verifier_s = time.monotonic() - t
        except InfraError as exc:
            state.fail(TrialStatus.INFRA_ERROR, exc.kind, str(exc))
        except Exception as exc:  # a bug of ours or an unmapped Docker error: this trial's, not the suite's
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)).strip()
            state.fail(TrialStatus.INFRA_ERROR, "internal", tb)
        finally:
            t = time.monotonic()
            if container is not None:
                try:
                    await container.remove()
                except InfraError as exc:
                    state.warnings.append(f"teardown: {exc}")
            state.timings.teardown_s = time.monotonic() - t
        state.timings.total_s = time.monotonic() - t_total
        outcome = state.outcome or AgentOutcome()
        return TrialResult(
            run_id=self.run_id,
            trial_id=spec.trial_id,
            task=task.id,
            repeat=spec.repeat,
            attempt=attempt,
            agent=getattr(agent, "name", type(agent).__name__),
            model=outcome.model,
            status=state.status,
            rewards=state.rewards,
            reward=None if state.rewards is None else headline(state.rewards),
            error=state.error,
            error_kind=state.error_kind,
            timings=state.timings,
            started_at=started_at,
            finished_at=_now(),
            usage=outcome.usage,
            warnings=state.warnings + list(outcome.warnings),
            trial_dir=str(trial_dir),
        )

    async def _start(self, spec: TrialSpec, attempt: int, state: _Attempt) -> tuple[ImageInfo, Any]:
        if self.backend is not None:  # the engine builds and starts in one step
            return await self.backend.start_trial(spec.task, container_name(self.run_id, spec.trial_id, attempt),
                                                  spec.trial_dir)
        assert self.images is not None and self.client is not None
        t = time.monotonic()
        image = await self.images.ensure(spec.task)
        state.timings.build_s = time.monotonic() - t
        container = await DockerContainer.start(self.client, self._container_spec(spec, image, attempt))
        return image, container

    def _workdir(self, task: Task, image: ImageInfo) -> str | None:
        return task.config.environment.workdir or image.workdir or None

    def _container_spec(self, spec: TrialSpec, image: ImageInfo, attempt: int) -> ContainerSpec:
        env = spec.task.config.environment
        lifetime = self.agent_timeout(spec.task) + spec.task.config.verifier.timeout_sec + 900
        return ContainerSpec(
            image=image.tag,
            name=container_name(self.run_id, spec.trial_id, attempt),
            labels={LABEL_RUN: self.run_id, LABEL_TRIAL: spec.trial_id, LABEL_TASK: spec.task.id},
            network_disabled=env.network_mode.value == "no-network",
            cpus=env.cpus,
            memory_mb=env.memory_mb,
            env=spec.task.container_env,
            workdir=env.workdir,
            lifetime_sec=int(lifetime),
        )

    async def _agent_phase(self, spec: TrialSpec, agent: Agent, container: DockerContainer,
                           image: ImageInfo, state: _Attempt) -> None:
        task = spec.task
        timeout = self.agent_timeout(task)
        ctx = AgentContext(
            task=task, env=container, logs_dir=spec.trial_dir / "agent", timeout_sec=timeout,
            user=task.config.agent.user, workdir=self._workdir(task, image),
            trial_id=spec.trial_id, run_id=self.run_id,
        )
        try:
            async with asyncio.timeout(timeout) as deadline:
                state.outcome = await agent.run(ctx)
        except TimeoutError:
            if deadline.expired():
                state.fail(TrialStatus.AGENT_TIMEOUT, "agent_timeout",
                           f"the agent used its whole budget of {timeout:g}s")
            else:
                state.fail(TrialStatus.AGENT_ERROR, "agent_crash", "TimeoutError inside the agent")
        except InfraError:
            raise
        except AgentError as exc:
            state.fail(TrialStatus.AGENT_ERROR, exc.kind, str(exc))
        except Exception as exc:  # any bug of an agent is its own failure, not the suite's
            tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            state.fail(TrialStatus.AGENT_ERROR, "agent_crash", tb)
        state.outcome = state.outcome or ctx.outcome

    async def _verifier_phase(self, spec: TrialSpec, container: DockerContainer,
                              image: ImageInfo, state: _Attempt) -> None:
        task = spec.task
        outcome = await verify(container, task, image, self._workdir(task, image))
        if outcome.timed_out:
            state.fail(TrialStatus.VERIFIER_ERROR, "verifier_timeout",
                       f"tests/test.sh exceeded [verifier].timeout_sec = {task.config.verifier.timeout_sec:g}")
        elif outcome.not_cleared:
            state.fail(TrialStatus.VERIFIER_ERROR, "verifier_not_cleared", outcome.not_cleared)
        try:
            await self._copy_logs(spec, container, outcome, state)
        except InfraError as exc:
            if not outcome.not_cleared:
                raise
            state.warnings.append(f"copying /logs: {exc}")
        _merge_logs(spec.trial_dir)
        for source, dest in task.artifact_paths():
            try:
                await container.download(source, spec.trial_dir / "artifacts" / Path(dest).parent,
                                         self.config.logs_max_bytes)
            except InfraError as exc:
                state.warnings.append(f"artifact {source}: {exc}")
        if outcome.timed_out or outcome.not_cleared:
            return
        try:
            state.rewards = parse_reward(spec.trial_dir / "verifier")
        except RewardError as exc:
            state.fail(TrialStatus.VERIFIER_ERROR, exc.kind, str(exc))

    async def _copy_logs(self, spec: TrialSpec, container: DockerContainer, outcome: VerifyOutcome,
                         state: _Attempt) -> None:
        """/logs into the trial folder: from the one-shot tar, else by download."""
        try:
            if outcome.logs_tar is not None:
                extract_tar(iter([outcome.logs_tar]), spec.trial_dir / ".logs")
            else:
                await container.download("/logs", spec.trial_dir / ".logs", self.config.logs_max_bytes)
        except (InfraError, tarfile.TarError) as exc:
            state.warnings.append(f"/logs too large or unreadable ({exc}); copying /logs/verifier only")
            await container.download("/logs/verifier", spec.trial_dir / ".logs" / "logs")


def _merge_logs(trial_dir: Path) -> None:
    """Move the downloaded /logs/* into the trial folder; host-written files win."""
    downloaded = trial_dir / ".logs" / "logs"
    for sub in ("agent", "verifier", "artifacts"):
        src = downloaded / sub
        if not src.is_dir():
            continue
        for path in sorted(src.rglob("*")):
            target = trial_dir / sub / path.relative_to(src)
            if path.is_dir() and not path.is_symlink():
                target.mkdir(parents=True, exist_ok=True)
            elif not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)
    shutil.rmtree(trial_dir / ".logs", ignore_errors=True)

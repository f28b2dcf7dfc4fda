"""Which engine runs a suite's trials: our local Docker (the default, our fast path) or one
of Harbor's environments (``harbor:<type>``, for cloud sandboxes and plugins).

One place builds a ``TrialRunner`` for a choice, and one place checks up front which
tasks the chosen engine cannot run (each named with the engine's reason).
"""

from __future__ import annotations

from typing import Any

import docker
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.defaults import CONCURRENCY
from sandbox.docker import connect
from sandbox.harbor_backend import PREFIX, HarborBackend, HarborEnvConfig, HarborUnavailable, parse_options
from sandbox.images import ImageCache
from sandbox.task import Task
from sandbox.trial import TrialConfig, TrialRunner

DOCKER = "docker"


class EnvChoice(BaseModel):
    """The engine of a run's trials (``--env``, ``--env-option``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = DOCKER
    """``docker`` (our own backend), or ``harbor:<type>`` / ``harbor:<module>:<Class>``."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Options of a Harbor provider (its --ek key=value), e.g. a region or a snapshot."""

    @model_validator(mode="after")
    def _known(self) -> EnvChoice:
        if self.name != DOCKER:
            HarborEnvConfig.parse(self.name, dict(self.options))  # raises naming the expected forms
        return self

    @classmethod
    def from_args(cls, env: str | None, options: list[str] | None) -> EnvChoice:
        """From the command line; raises ValueError naming a malformed option."""
        name, parsed = env or DOCKER, parse_options(options)
        if name == DOCKER and parsed:
            raise ValueError("--env-option applies to a Harbor environment (--env harbor:<type>)")
        if name != DOCKER:
            HarborEnvConfig.parse(name, parsed)  # its own message, not pydantic's
        return cls(name=name, options=parsed)

    @property
    def harbor(self) -> HarborEnvConfig | None:
        if not self.name.startswith(PREFIX):
            return None
        return HarborEnvConfig.parse(self.name, dict(self.options))

    @property
    def needs_docker(self) -> bool:
        """Whether this machine's Docker daemon is used (ours, or Harbor's local Docker)."""
        harbor = self.harbor
        return harbor is None or harbor.type in ("docker", None)


def make_runner(choice: EnvChoice, run_id: str, config: TrialConfig | None = None, *,
                concurrency: int = CONCURRENCY, images: ImageCache | None = None,
                client: docker.DockerClient | None = None) -> TrialRunner:
    """A TrialRunner whose trials run on ``choice``.

    Raises:
        HarborUnavailable: the Harbor provider cannot be used here (named, with the fix).
        InfraError: Docker is needed and unreachable.
    """
    if client is None and choice.needs_docker:
        client = connect(concurrency)
    harbor = choice.harbor
    if harbor is None:
        assert client is not None  # needs_docker
        return TrialRunner(client, images or ImageCache(client), run_id, config, concurrency=concurrency)
    backend = HarborBackend(harbor, run_id, (config or TrialConfig()).execs_at_once)
    backend.env_class()  # fail now, not in every trial, when the provider is unusable
    return TrialRunner(client, None, run_id, config, concurrency=concurrency, backend=backend)


def unsupported(runner: TrialRunner, tasks: list[Task]) -> dict[str, str]:
    """Tasks the runner's engine cannot run, by id, each with a message naming task and engine."""
    if runner.backend is None:
        return {}
    return runner.backend.preflight(tasks)


__all__ = ["DOCKER", "EnvChoice", "HarborUnavailable", "make_runner", "unsupported"]

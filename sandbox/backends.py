"""Which engine runs a suite's trials: our local Docker (the default, our fast path) or one
of Harbor's environments (``harbor:<type>``, for cloud sandboxes and plugins).

One place builds a ``TrialRunner`` for a choice, and one place checks up front which
tasks the chosen engine cannot run (each named with the engine's reason).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

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

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value != DOCKER:
            HarborEnvConfig.parse(value)  # raises naming the expected forms
        return value

    @classmethod
    def from_args(cls, env: str | None, options: list[str] | None) -> "EnvChoice":
        """From the command line; raises ValueError naming a malformed option."""
        name, parsed = env or DOCKER, parse_options(options)
        if name == DOCKER and parsed:
            raise ValueError("--env-option applies to a Harbor environment (--env harbor:<type>)")
        if name != DOCKER:
            HarborEnvConfig.parse(name)  # its own message, not pydantic's
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
                concurrency: int = 4, images: ImageCache | None = None, client=None) -> TrialRunner:
    """A TrialRunner whose trials run on ``choice``.

    Raises:
        HarborUnavailable: the Harbor provider cannot be used here (named, with the fix).
        InfraError: Docker is needed and unreachable.
    """
    if client is None and choice.needs_docker:
        client = connect(pool_size=max(16, concurrency * 4))
    harbor = choice.harbor
    if harbor is None:
        return TrialRunner(client, images or ImageCache(client), run_id, config)
    backend = HarborBackend(harbor, run_id)
    backend.env_class()  # fail now, not in every trial, when the provider is unusable
    return TrialRunner(client, None, run_id, config, backend=backend)


def unsupported(runner: TrialRunner, tasks: list[Task]) -> dict[str, str]:
    """Tasks the runner's engine cannot run, by id, each with a message naming task and engine."""
    if runner.backend is None:
        return {}
    return runner.backend.preflight(tasks)


__all__ = ["DOCKER", "EnvChoice", "HarborUnavailable", "make_runner", "unsupported"]

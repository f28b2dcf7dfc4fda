"""The task.toml contract of Harbor, as pydantic models.

Harbor parses task.toml leniently: every section is optional, unknown keys are
ignored and any ``schema_version`` string is accepted. We do the same for the
file itself (``extra="ignore"``) but validate strictly every field we use, so a
wrong type fails with the field named.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator


class _Lenient(BaseModel):
    """Base for task.toml sections: unknown keys are ignored, as Harbor does."""

    model_config = ConfigDict(extra="ignore")


class NetworkMode(str, Enum):
    """Network policy of the task container."""

    PUBLIC = "public"
    NO_NETWORK = "no-network"
    ALLOWLIST = "allowlist"


class Author(_Lenient):
    name: str
    """Author name."""
    email: str | None = None
    """Author e-mail, if given."""

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        # Real tasks often write authors = ["Jane Doe <jane@x.org>"]; accept that too.
        if isinstance(data, str):
            name, _, email = data.partition("<")
            return {"name": name.strip(), "email": email.rstrip(">").strip() or None}
        return data


class TaskInfo(_Lenient):
    """The ``[task]`` section: package metadata."""

    name: str | None = None
    """Package name, usually ``org/name``."""
    description: str = ""
    """One-line description."""
    authors: list[Author] = Field(default_factory=list)
    """Authors of the task."""
    keywords: list[str] = Field(default_factory=list)
    """Search keywords."""


class AgentSection(_Lenient):
    """The ``[agent]`` section."""

    timeout_sec: float | None = None
    """Wall-clock budget of the agent phase; None means no limit from the task."""
    user: str | int | None = None
    """User the agent's commands run as; None means the image's USER."""

    @field_validator("timeout_sec")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError("must be a positive number of seconds")
        return value


class VerifierSection(_Lenient):
    """The ``[verifier]`` section."""

    timeout_sec: float = 600.0
    """Wall-clock budget of tests/test.sh."""
    env: dict[str, str] = Field(default_factory=dict)
    """Environment of test.sh; values may use ``${VAR}`` / ``${VAR:-default}``."""
    user: str | int | None = None
    """User test.sh runs as; None means the image's USER."""

    @field_validator("timeout_sec")
    @classmethod
    def _positive(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 0:
            raise ValueError("must be a positive number of seconds")
        return value


class SolutionSection(_Lenient):
    """The ``[solution]`` section."""

    env: dict[str, str] = Field(default_factory=dict)
    """Environment of solution/solve.sh (oracle agent only)."""


class Healthcheck(_Lenient):
    """Readiness probe run after the container starts, as Docker's HEALTHCHECK."""

    command: str
    """Shell command; exit 0 means healthy."""
    interval_sec: float = 5.0
    """Seconds between attempts."""
    timeout_sec: float = 30.0
    """Bound of one attempt."""
    start_period_sec: float = 0.0
    """Grace period during which failures do not count."""
    start_interval_sec: float = 5.0
    """Seconds between attempts during the grace period."""
    retries: int = 3
    """Consecutive failures after the grace period that mean unhealthy."""


def _size_to_mb(value: str | int) -> int:
    """Megabytes from a deprecated size: "4G", "512M", "2048K", or a bare number of MB."""
    if isinstance(value, int):
        megabytes = value
    else:
        text = value.strip().upper()
        units = {"G": 1024.0, "M": 1.0, "K": 1 / 1024}
        try:
            megabytes = int(float(text[:-1]) * units[text[-1]])
        except (IndexError, KeyError, ValueError):
            raise ValueError(f"invalid size {value!r}: expected a number with G, M or K, like '4G'") from None
    if megabytes <= 0:
        raise ValueError(f"invalid size {value!r}: must be positive")
    return megabytes


class EnvironmentSection(_Lenient):
    """The ``[environment]`` section."""

    build_timeout_sec: float = 600.0
    """Bound of the image build."""
    docker_image: str | None = None
    """A prebuilt image to use instead of building environment/."""
    os: str = "linux"
    """Target OS; only linux is supported."""
    cpus: float | None = None
    """CPU limit of the container."""
    memory_mb: int | None = None
    """Memory limit of the container."""
    storage_mb: int | None = None
    """Disk limit (recorded; enforced only where the storage driver supports it)."""
    gpus: int | None = None
    """GPUs requested (not supported: a task asking for GPUs is rejected)."""
    env: dict[str, str] = Field(default_factory=dict)
    """Container environment; values may use ``${VAR}`` / ``${VAR:-default}``."""
    workdir: str | None = None
    """Working directory of every command; None means the image's WORKDIR."""
    network_mode: NetworkMode = NetworkMode.PUBLIC
    """public, no-network or allowlist."""
    allowed_hosts: list[str] | None = None
    """Hosts reachable under allowlist."""
    healthcheck: Healthcheck | None = None
    """Readiness probe."""
    skills_dir: str | None = None
    """Folder inside the image holding agent skills (``<name>/SKILL.md``)."""
    allow_internet: StrictBool | None = Field(default=None, exclude=True)
    """Deprecated spelling of network_mode (false means no-network)."""
    memory: str | StrictInt | None = Field(default=None, exclude=True)
    """Deprecated spelling of memory_mb ("4G")."""
    storage: str | StrictInt | None = Field(default=None, exclude=True)
    """Deprecated spelling of storage_mb ("10G")."""

    @field_validator("memory", "storage")
    @classmethod
    def _legacy_size(cls, value: str | int | None) -> int | None:
        return None if value is None else _size_to_mb(value)

    @model_validator(mode="after")
    def _legacy_spellings(self) -> EnvironmentSection:
        # An explicit new-style field wins over its deprecated spelling.
        given = self.model_fields_set
        if self.memory is not None and "memory_mb" not in given:
            self.memory_mb = int(self.memory)
        if self.storage is not None and "storage_mb" not in given:
            self.storage_mb = int(self.storage)
        if self.allow_internet is not None and "network_mode" not in given:
            self.network_mode = NetworkMode.PUBLIC if self.allow_internet else NetworkMode.NO_NETWORK
        return self

    @field_validator("cpus")
    @classmethod
    def _cpus(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError("must be a positive number")
        return value

    @field_validator("memory_mb", "storage_mb")
    @classmethod
    def _mb(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("must be a positive number of megabytes")
        return value


class StepSection(_Lenient):
    """One ``[[steps]]`` entry of a multi-step task (parsed, then rejected by the loader)."""

    name: str
    """Step name (a folder under steps/)."""
    min_reward: float | dict[str, float] | None = None
    """Threshold below which later steps are skipped."""


class ArtifactEntry(_Lenient):
    """An ``artifacts`` entry given as a table."""

    source: str
    """Path inside the container."""
    destination: str | None = None
    """Path under the trial's artifacts/ folder."""

    @field_validator("source")
    @classmethod
    def _no_parent(cls, value: str) -> str:
        if ".." in value.split("/"):
            raise ValueError(f"must not contain '..': {value!r}")
        return value


class TaskConfig(_Lenient):
    """The whole task.toml."""

    schema_version: str = "1.4"
    """Any string is accepted, as Harbor does."""
    task: TaskInfo | None = None
    """Package metadata."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form metadata (difficulty, category, ...)."""
    agent: AgentSection = Field(default_factory=AgentSection)
    """Agent phase settings."""
    verifier: VerifierSection = Field(default_factory=VerifierSection)
    """Verifier phase settings."""
    solution: SolutionSection = Field(default_factory=SolutionSection)
    """Oracle settings."""
    environment: EnvironmentSection = Field(default_factory=EnvironmentSection)
    """Container settings."""
    steps: list[StepSection] | None = None
    """Multi-step tasks (not supported yet)."""
    artifacts: list[str | ArtifactEntry] = Field(default_factory=list)
    """Container paths copied out after the run."""

    @model_validator(mode="before")
    @classmethod
    def _version_rename(cls, data: Any) -> Any:
        if isinstance(data, dict) and "version" in data:
            data = dict(data)
            data.setdefault("schema_version", str(data.pop("version")))
        if isinstance(data, dict) and not isinstance(data.get("schema_version", ""), str):
            data = dict(data)
            data["schema_version"] = str(data["schema_version"])
        return data

"""What a trial is given and what one attempt of it has found so far (data only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from sandbox.agents import AgentOutcome
from sandbox.audit import TamperAudit
from sandbox.docker_host import EXECS_PER_TRIAL
from sandbox.results import Timings, TrialStatus
from sandbox.task import Task


class TrialConfig(BaseModel):
    """Knobs of the trial lifecycle."""

    model_config = ConfigDict(extra="forbid")
    max_attempts: int = 3
    """Attempts per trial on retryable infra errors (Docker, or a service the agent relies on)."""
    retry_backoff_sec: float = 2.0
    """First backoff between attempts; doubles each time."""
    default_agent_timeout_sec: float = 1800.0
    """Agent budget for tasks whose task.toml sets none."""
    agent_timeout_multiplier: float = 1.0
    """Scales every task's agent timeout (slow machines, slow models)."""
    logs_max_bytes: int = 200 * 1024 * 1024
    """Bytes read out of /logs (and out of each artifact) per trial; beyond it the rest is dropped."""
    log_file_max_bytes: int = 16 * 1024 * 1024
    """A copied file larger than this keeps its first and last ``log_keep_bytes``; in
    /logs/verifier that makes the trial a (scored) verifier error."""
    log_keep_bytes: int = 1024 * 1024
    """Head and tail kept of an oversized file."""
    execs_at_once: int = EXECS_PER_TRIAL
    """Agent commands one trial may run at once; more wait in the trial's own queue."""
    tamper_audit: bool = True
    """Judge the agent's changes to its container before verification (``sandbox.audit``)."""

    @model_validator(mode="after")
    def _keep_fits(self) -> TrialConfig:
        if 2 * self.log_keep_bytes > self.log_file_max_bytes:
            raise ValueError("log_keep_bytes must be at most half of log_file_max_bytes")
        return self


@dataclass(frozen=True)
class TrialSpec:
    """Which task, which repeat, where its files go."""

    task: Task
    repeat: int
    trial_id: str
    trial_dir: Path


@dataclass
class Attempt:
    """What one attempt has found so far."""

    status: TrialStatus = TrialStatus.OK
    error: str | None = None
    error_kind: str | None = None
    retryable: bool | None = None
    rewards: dict[str, float] | None = None
    outcome: AgentOutcome | None = None
    warnings: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    verifier_exit_code: int | None = None
    tamper: TamperAudit | None = None

    def fail(self, status: TrialStatus, kind: str, error: str, retryable: bool | None = None) -> None:
        if self.status == TrialStatus.OK or status == TrialStatus.INFRA_ERROR:
            self.status, self.error_kind, self.error = status, kind, error
            self.retryable = retryable if status == TrialStatus.INFRA_ERROR else None
        else:
            self.warnings.append(f"{kind}: {error}")

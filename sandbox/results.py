"""Trial results as data: one ``result.json`` per trial, versioned."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from durable import write_json_atomic
from sandbox.audit import TamperAudit

FORMAT_VERSION = 2
"""2: ``retryable``, ``verifier_exit_code`` and ``tamper`` were added (version 1 files still load)."""


class TrialStatus(str, Enum):
    """How a trial ended. Only ``infra_error`` is never scored."""

    OK = "ok"
    AGENT_ERROR = "agent_error"
    """The agent crashed; the verifier still ran and its reward counts."""
    AGENT_TIMEOUT = "agent_timeout"
    """The agent used its budget; the verifier still ran and its reward counts."""
    VERIFIER_ERROR = "verifier_error"
    """No usable reward (missing, empty or unparsable file, verifier timeout, output over its
    cap, or /tests and /logs/verifier could not be made clean): scored 0."""
    INFRA_ERROR = "infra_error"
    """Docker, the build, the host or a service the agent relies on failed: retried when that can help,
    then reported, never scored."""


class Timings(BaseModel):
    """Seconds spent per phase."""

    model_config = ConfigDict(extra="forbid")
    build_s: float = 0.0
    start_s: float = 0.0
    agent_s: float = 0.0
    verifier_s: float = 0.0
    teardown_s: float = 0.0
    """0 since the container is removed while the next trial starts (kept: version 1 files have it)."""
    total_s: float = 0.0


class TrialResult(BaseModel):
    """Everything decided about one trial."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format_version: int = FORMAT_VERSION
    run_id: str
    trial_id: str
    task: str
    repeat: int = 0
    attempt: int = 1
    """Which attempt produced this result (infra errors are retried)."""
    agent: str
    model: str | None = None
    status: TrialStatus
    rewards: dict[str, float] | None = None
    """The verifier's metrics, as read from reward.json / reward.txt."""
    reward: float | None = None
    """The headline reward: rewards['reward'], else the only value, else the mean."""
    error: str | None = None
    error_kind: str | None = None
    """E.g. reward_file_missing, reward_file_empty, reward_unparsable, verifier_timeout,
    build, docker, image, model_unavailable, agent_crash, agent_exit_code, internal, disk_full."""
    retryable: bool | None = None
    """For infra errors: whether running the trial again could help (decided where the
    error was raised)."""
    verifier_exit_code: int | None = None
    """test.sh's exit code; ignored for the reward (as in Harbor), kept for diagnosis."""
    tamper: TamperAudit | None = None
    """What the agent changed in its container that could sway the verifier (None: the
    trial ended before the audit)."""
    timings: Timings = Field(default_factory=Timings)
    started_at: str = ""
    finished_at: str = ""
    usage: dict[str, Any] | None = None
    """Agent tokens and cost, when the agent reports them."""
    warnings: list[str] = Field(default_factory=list)
    trial_dir: str = ""

    @property
    def scored(self) -> bool:
        """Whether this trial counts toward a score (everything but infra errors)."""
        return self.status != TrialStatus.INFRA_ERROR

    @property
    def tampered(self) -> bool:
        """Whether the tamper audit flagged a change that could sway the verifier."""
        return bool(self.tamper and self.tamper.flags)

    @property
    def score(self) -> float | None:
        """The value averaged into scores: the reward, 0 when there is none, None for infra."""
        if not self.scored:
            return None
        return self.reward if self.reward is not None else 0.0


def write_result(result: TrialResult, trial_dir: Path) -> Path:
    path = trial_dir / "result.json"
    write_json_atomic(path, result.model_dump(mode="json"))
    return path


def read_result(path: Path) -> TrialResult:
    return TrialResult.model_validate_json(Path(path).read_text())

"""The climb's resumable state: what is decided, saved atomically at every safe point."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from meta.decide.rule import IncumbentRecord

STATE_VERSION = 1


@dataclass
class Version:
    """One version of agent.py the climb has measured."""

    commit: str
    agent_file: str
    """A snapshot of agent.py at that commit, in the run folder (trials run from it)."""
    train_score: float | None = None
    train_se: float | None = None
    heldout_score: float | None = None


@dataclass
class ClimbState:
    run_id: str
    phase: str = "baseline"
    """baseline -> climbing -> final -> done."""
    exp: int = 0
    """The last experiment whose ledger row is written."""
    baseline: Version | None = None
    incumbent: Version | None = None
    record: IncumbentRecord | None = None
    """What the keep rule knows about the incumbent."""
    last_keep_exp: int = 0
    elapsed_sec: float = 0.0
    """Climb time accumulated over every process that ran it."""
    usage: dict[str, Any] = field(default_factory=dict)
    """UsageTracker.to_json() at the last safe point."""
    budget_warnings: list[float] = field(default_factory=list)
    stop_reason: str | None = None
    final: dict[str, Any] | None = None
    """The final confirmation's table, once run."""
    pending_row: dict[str, Any] | None = None
    """A ledger row decided but maybe not yet appended (a crash between the two is repaired on resume)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = STATE_VERSION
        if self.record is not None:
            data["record"] = {"per_task": self.record.per_task,
                              "score_estimates": [list(e) for e in self.record.score_estimates]}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClimbState:
        data = dict(data)
        version = data.pop("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise ValueError(f"state.json has version {version}; this climb reads {STATE_VERSION}")
        for key in ("baseline", "incumbent"):
            if data.get(key) is not None:
                data[key] = Version(**data[key])
        if data.get("record") is not None:
            record = data["record"]
            data["record"] = IncumbentRecord(
                {task: list(values) for task, values in record["per_task"].items()},
                tuple(tuple(e) for e in record.get("score_estimates", ())),
            )
        return cls(**data)

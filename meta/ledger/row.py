"""One line of results.tsv: its columns, validation and exact text round trip."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COLUMNS = ("exp", "commit", "status", "train_score", "train_se", "delta", "p_or_bound",
           "heldout_score", "passed", "cost_usd", "tokens", "minutes", "description")
HEADER = "\t".join(COLUMNS) + "\n"
Status = Literal["baseline", "keep", "discard", "overfit", "invalid", "crash", "stop"]
INCUMBENT_STATUSES = ("baseline", "keep")
"""Statuses of rows whose version became (or is) the incumbent."""
# Every character some reader treats as a line or cell break.
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]+")


class ResultRow(BaseModel):
    """One line of results.tsv."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              use_attribute_docstrings=True)

    exp: int = Field(ge=0)
    """Experiment number; 0 is the baseline. A ``stop`` row carries the last one."""
    commit: str = Field("", pattern=r"^([0-9a-f]{4,40})?$")
    """The candidate's commit (or the incumbent's, for baseline and stop rows)."""
    status: Status
    """What became of the experiment; ``stop`` rows end a climb."""
    train_score: float | None = None
    """Mean train reward of the version this row is about."""
    train_se: float | None = Field(None, ge=0)
    """Standard error of ``train_score``."""
    delta: float | None = None
    """Candidate minus incumbent, paired over train tasks."""
    p_or_bound: float | None = None
    """The keep test's p-value or confidence bound."""
    heldout_score: float | None = None
    """Held-out aggregate of the incumbent after this experiment (never per task)."""
    passed: str | None = Field(None, pattern=r"^\d+/\d+$")
    """Train tasks solved out of those run, as ``k/n``."""
    cost_usd: float | None = Field(None, ge=0)
    """Spend of this experiment, all roles."""
    tokens: int | None = Field(None, ge=0)
    """Tokens of this experiment, all roles."""
    minutes: float | None = Field(None, ge=0)
    """Wall-clock minutes of this experiment."""
    description: str = ""
    """The proposer's one-line description, or why the climb stopped."""

    @field_validator("description", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        # Tabs and newlines would break the TSV; the text is for humans, so flatten it.
        if isinstance(value, str):
            return " ".join(_CONTROL.sub(" ", value).split())
        return value

    def to_tsv(self) -> str:
        """The row as one TSV line, newline included; ``from_tsv`` reads it back exactly."""
        cells = []
        for name in COLUMNS:
            value = getattr(self, name)
            # repr() is the shortest text that parses back to the same float.
            cells.append("" if value is None else repr(value) if isinstance(value, float) else str(value))
        return "\t".join(cells) + "\n"

    @classmethod
    def from_tsv(cls, line: str) -> ResultRow:
        """Parse one line written by ``to_tsv``.

        Raises:
            ValueError: Wrong number of cells, or a cell that does not validate.
        """
        cells = line.rstrip("\n").split("\t")
        if len(cells) != len(COLUMNS):
            raise ValueError(f"expected {len(COLUMNS)} tab-separated cells, got {len(cells)}")
        data = {name: cell for name, cell in zip(COLUMNS, cells) if cell != "" or name == "description"}
        return cls.model_validate(data)

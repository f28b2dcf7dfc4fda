"""One line of results.tsv: its columns, validation and exact text round trip."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

COLUMNS = ("exp", "commit", "status", "train_score", "train_se", "delta", "p_or_bound",
           "heldout_score", "passed", "cost_usd", "tokens", "minutes", "description")
HEADER = "\t".join(COLUMNS) + "\n"
Status = Literal["baseline", "keep", "discard", "overfit", "invalid", "crash", "meta_failed", "stop"]
"""``meta_failed``: the meta-agent left no edit (stopped using its tools, ran out of turns, or its
requests were refused), so no candidate existed; ``crash``: a candidate that did not compile or
crashed before its first model call."""
INCUMBENT_STATUSES = ("baseline", "keep")
"""Statuses of rows whose version became (or is) the incumbent."""
SHORT_COMMIT = 10
"""Characters of a commit hash shown to people (results.tsv, dashboard, report); the full
hash stays in events.jsonl and state.json, and is unique in a climb's branch at this length."""
SCORE_DECIMALS = 4
P_DIGITS = 3
"""Significant digits of ``p_or_bound`` in results.tsv (the precise value is in the decision event)."""
# Every character some reader treats as a line or cell break.
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]+")


class ResultRow(BaseModel):
    """One line of results.tsv."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              use_attribute_docstrings=True)

    exp: int = Field(ge=0)
    """Experiment number; 0 is the baseline. A ``stop`` row carries the last one."""
    commit: str = Field("", pattern=r"^([0-9a-f]{4,40})?$")
    """The candidate's commit (or the incumbent's, for baseline and stop rows), shortened to
    ``SHORT_COMMIT`` characters."""
    status: Status
    """What became of the experiment; ``stop`` rows end a climb."""
    train_score: float | None = None
    """Mean train reward of the version this row is about (statistics are rounded to
    ``SCORE_DECIMALS``; ``p_or_bound`` to ``P_DIGITS`` significant digits)."""
    train_se: float | None = Field(None, ge=0)
    """Standard error of ``train_score``."""
    delta: float | None = None
    """Candidate minus incumbent, paired over train tasks."""
    p_or_bound: float | None = None
    """The keep test's p-value or confidence bound."""
    heldout_score: float | None = None
    """Held-out aggregate of the version that became the incumbent (baseline and keep rows) or
    of the final incumbent (stop rows); empty where the incumbent did not change. Never per task."""
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

    @field_validator("commit", mode="after")
    @classmethod
    def _short_commit(cls, value: str) -> str:
        return value[:SHORT_COMMIT]

    @field_validator("train_score", "train_se", "delta", "heldout_score", mode="after")
    @classmethod
    def _round_score(cls, value: float | None) -> float | None:
        # Rounded for people reading the TSV; decisions use the exact values in events.jsonl.
        return None if value is None else round(value, SCORE_DECIMALS) + 0.0  # + 0.0: no "-0.0"

    @field_validator("p_or_bound", mode="after")
    @classmethod
    def _round_p(cls, value: float | None) -> float | None:
        return None if value is None else float(f"{value:.{P_DIGITS}g}") + 0.0

    @field_validator("cost_usd", mode="after")
    @classmethod
    def _round_cost(cls, value: float | None) -> float | None:
        return None if value is None else round(value, 6)

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

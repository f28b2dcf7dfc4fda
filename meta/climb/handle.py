"""What one experiment may use of the running climb: a narrow, typed handle.

``Climb`` (loop.py) implements it; the experiment's steps (experiment.py, steps.py) see only
this, so the loop's bookkeeping stays in one place and the steps can be read on their own.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from meta.climb.config import ClimbConfig
from meta.climb.setup import ClimbContext
from meta.climb.state import ClimbState, Version
from meta.ledger.row import ResultRow

T = TypeVar("T")


class ClimbStop(Exception):
    """End the climb at this safe point, for the reason given."""


class ClimbHandle(Protocol):
    ctx: ClimbContext
    config: ClimbConfig
    state: ClimbState
    rng: random.Random
    meta_failures: int
    """Meta-agent requests refused in a row (three stop the climb)."""

    def event(self, kind: str, exp: int | None = None, **data: Any) -> None:
        """Append one event to events.jsonl (and tell the dashboard)."""

    def spend(self) -> tuple[float, int]:
        """Dollars and tokens spent so far, all roles."""

    async def resilient(self, what: str, step: Callable[[], Awaitable[T]], exp: int | None = None,
                        before_retry: Callable[[], None] | None = None) -> T:
        """Run ``step``; pause and retry it through outages; raise ClimbStop when waiting cannot help."""

    async def heldout(self, version: Version, exp: int) -> float | None:
        """The held-out aggregate of a version."""

    def write_row(self, row: ResultRow) -> None:
        """Decide one ledger row (state.json first), then append it."""

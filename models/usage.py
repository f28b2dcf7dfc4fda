"""Usage and cost accounting across every model call of a run.

One ``UsageTracker`` is passed through the run context (never a process-global
counter) and given to ``create_model``; every successful ``complete`` records
into it. It aggregates per (role, model) rather than keeping each call: the
per-call detail lives in the trajectories, and a 24-hour climb's tracker must
stay small enough to save with every state checkpoint.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from models.messages import Usage

log = logging.getLogger(__name__)

ROLES = ("task", "meta", "judge")
"""Who made a call: the task agent, the meta-agent (proposer), or a judge (gate reflection)."""

FORMAT_VERSION = 1


@dataclass(frozen=True)
class UsageTotals:
    """Calls, tokens and USD summed over some set of calls."""

    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(self.calls + other.calls, self.usage + other.usage, self.cost_usd + other.cost_usd)


class UsageTracker:
    """Thread- and task-safe totals per role and model.

    A plain lock suffices for asyncio tasks too: no method awaits while holding it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[tuple[str, str], UsageTotals] = {}
        self._unpriced: set[str] = set()

    def record(self, *, role: str, model: str, usage: Usage, cost_usd: float, priced: bool = True) -> None:
        """Add one call.

        Args:
            role: One of ``ROLES``.
            model: The ``provider:model-id`` that answered.
            usage: The call's tokens.
            cost_usd: The call's cost (0 when unpriced).
            priced: False when the model has no price; warned about once per tracker.
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        with self._lock:
            key = (role, model)
            self._totals[key] = self._totals.get(key, UsageTotals()) + UsageTotals(1, usage, cost_usd)
            first_unpriced = not priced and model not in self._unpriced
            if not priced:
                self._unpriced.add(model)
        if first_unpriced:
            log.warning("no price known for %s: its calls are counted as $0 (add it to a price file)", model)

    def total(self, *, role: str | None = None, model: str | None = None) -> UsageTotals:
        """Totals over all calls, or those of one role and/or model."""
        with self._lock:
            items = list(self._totals.items())
        result = UsageTotals()
        for (r, m), totals in items:
            if (role is None or r == role) and (model is None or m == model):
                result = result + totals
        return result

    @property
    def cost_usd(self) -> float:
        """USD over all calls."""
        return self.total().cost_usd

    def by_role(self) -> dict[str, UsageTotals]:
        """Totals per role that made at least one call."""
        return self._group(0)

    def by_model(self) -> dict[str, UsageTotals]:
        """Totals per model that answered at least one call."""
        return self._group(1)

    def cost_by_role(self) -> dict[str, float]:
        """USD per role that made at least one call."""
        return {role: totals.cost_usd for role, totals in self.by_role().items()}

    def cost_by_model(self) -> dict[str, float]:
        """USD per model that answered at least one call."""
        return {model: totals.cost_usd for model, totals in self.by_model().items()}

    def unpriced_models(self) -> set[str]:
        """Models whose calls were counted at $0 because they have no price."""
        with self._lock:
            return set(self._unpriced)

    def _group(self, index: int) -> dict[str, UsageTotals]:
        with self._lock:
            items = list(self._totals.items())
        grouped: dict[str, UsageTotals] = {}
        for key, totals in items:
            grouped[key[index]] = grouped.get(key[index], UsageTotals()) + totals
        return grouped

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready snapshot, for saving with the climb's state."""
        with self._lock:
            entries = [
                {
                    "role": role,
                    "model": model,
                    "calls": t.calls,
                    "usage": asdict(t.usage),
                    "cost_usd": t.cost_usd,
                }
                for (role, model), t in sorted(self._totals.items())
            ]
            unpriced = sorted(self._unpriced)
        return {"version": FORMAT_VERSION, "entries": entries, "unpriced": unpriced}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UsageTracker:
        """Rebuild a tracker saved by ``to_json`` (for ``climb run --resume``)."""
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"usage tracker format {data.get('version')!r} is not {FORMAT_VERSION}")
        tracker = cls()
        for entry in data["entries"]:
            key = (entry["role"], entry["model"])
            tracker._totals[key] = UsageTotals(
                int(entry["calls"]), Usage(**entry["usage"]), float(entry["cost_usd"])
            )
        tracker._unpriced = set(data.get("unpriced", []))
        return tracker

"""The live dashboard of a climb (rich), or plain log lines when there is no terminal."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sandbox.results import TrialResult, TrialStatus

BARS = "▁▂▃▄▅▆▇█"
STAGES = {"proposal": "proposing", "gate": "gating", "trial_batch": "measuring", "decision": "deciding",
          "heldout": "held-out run", "pause": "PAUSED", "resume": "resumed", "baseline_start": "baseline"}


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(BARS[int((v - low) / span * (len(BARS) - 1))] for v in values)


class Dashboard:
    """ClimbView and SuiteObserver at once."""

    def __init__(self, console: Console | None = None, live: bool = True):
        self.console = console or Console(stderr=True)
        self.live_enabled = live and self.console.is_terminal
        self.stage = "starting"
        self.exp = 0
        self.best: list[float] = []
        self.incumbent = (None, None)
        self.recent: deque[str] = deque(maxlen=6)
        self.running = self.done = self.failed = 0
        self.spend: dict[str, float] = {}
        self.started = time.monotonic()
        self.hours: float | None = None
        self.elapsed_base = 0.0
        self.reasons: dict[int, str] = {}
        self._live: Live | None = None

    def __enter__(self) -> "Dashboard":
        if self.live_enabled:
            self._live = Live(self.render(), console=self.console, refresh_per_second=2, transient=False)
            self._live.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live:
            self._live.update(self.render())
            self._live.stop()

    def refresh(self) -> None:
        if self._live:
            self._live.update(self.render())

    def on_event(self, event: dict[str, Any], climb: Any) -> None:
        kind = event["kind"]
        self.exp = event.get("exp") if event.get("exp") is not None else self.exp
        if kind == "decision" or (kind == "gate" and not event.get("passed", True)):
            self.reasons[self.exp] = str(event.get("reason", ""))
        self.stage = STAGES.get(kind, self.stage)
        self.elapsed_base = climb.elapsed() - (time.monotonic() - self.started)
        self.hours = climb.config.stop.hours
        self.spend = climb.ctx.tracker.cost_by_role()
        if kind in ("pause", "resume", "budget_warning", "stop", "disk_pruned", "resume_run"):
            message = f"{kind}: " + ", ".join(f"{k}={v}" for k, v in event.items() if k not in ("t", "kind"))
            self.recent.append(message[:160])
            if not self._live:
                self.console.print(f"[yellow]{message}[/yellow]")
        elif not self._live and kind in ("proposal", "decision", "gate", "baseline_start", "heldout"):
            brief = {k: v for k, v in event.items() if k in ("exp", "description", "verdict", "reason", "gate",
                                                             "passed", "score", "status")}
            self.console.print(f"{kind}: {brief}")
        self.refresh()

    def on_row(self, row: Any, climb: Any) -> None:
        incumbent = climb.state.incumbent
        if incumbent is not None:
            self.incumbent = (incumbent.train_score, incumbent.heldout_score)
            if incumbent.train_score is not None and row.status in ("baseline", "keep", "discard", "overfit"):
                self.best.append(incumbent.train_score)
        delta = "" if row.delta is None else f" delta {row.delta:+.3f}"
        reason = self.reasons.get(row.exp, "")
        self.recent.append(f"exp {row.exp} {row.status}{delta}: {row.description}"[:110]
                           + (f" ({reason[:90]})" if reason and row.status != "stop" else ""))
        if not self._live:
            self.console.print(f"[bold]exp {row.exp} {row.status}[/bold]{delta}  {row.description}")
        self.refresh()

    def trial_started(self, spec: Any) -> None:
        self.running += 1
        self.refresh()

    def trial_finished(self, result: TrialResult) -> None:
        self.running -= 1
        self.done += 1
        self.failed += result.status == TrialStatus.INFRA_ERROR
        self.refresh()

    def render(self) -> Panel:
        elapsed = self.elapsed_base + time.monotonic() - self.started
        remaining = "" if self.hours is None else f"  remaining {max(0.0, self.hours * 3600 - elapsed) / 3600:.1f} h"
        head = Text.assemble(("experiment ", "bold"), str(self.exp), ("  stage ", "bold"), self.stage,
                             f"  elapsed {elapsed / 3600:.2f} h{remaining}")
        train, heldout = self.incumbent
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        scores = Text(f"incumbent train {fmt(train)}  held-out {fmt(heldout)}  best so far {sparkline(self.best)}")
        trials = Text(f"trials running {self.running}  done {self.done}  infra errors {self.failed}")
        spend = Text("spend " + "  ".join(f"{role} ${cost:.2f}" for role, cost in sorted(self.spend.items())))
        table = Table.grid()
        for line in self.recent:
            table.add_row(line)
        return Panel(Group(head, scores, trials, spend, Text("last decisions:", style="bold"), table),
                     title="harness-climb")

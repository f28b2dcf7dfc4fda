"""The live dashboard of a climb (rich), or one plain line per event when there is no terminal.

The picture is redrawn every second from ``BoardState`` (so the clock and the ETAs move while
nothing happens), and the state changes only through events, rows and trial callbacks, which
is what the tests replay.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from meta.cli.board import BoardState, event_time
from meta.cli.narrate import ROLES, clip_words, clock, commit, describe, describe_row, duration, money, tokens
from sandbox.results import TrialResult

BARS = "▁▂▃▄▅▆▇█"
PLAIN_SKIP = frozenset({"batch_start", "baseline_done", "split"})
"""Events too fine-grained (or said by a neighbour) for plain mode's one line per event."""
NOTICE_KINDS = frozenset({"pause", "resume", "budget_warning", "stop", "disk_pruned", "resume_run", "warning",
                          "task_error", "reopen"})
"""Events worth a line above the live view too, not only a change in it."""


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(BARS[int((v - low) / span * (len(BARS) - 1))] for v in values)


class Dashboard:
    """The climb's ClimbView and SuiteObserver: a live panel, or plain lines.

    Args:
        console: Where to draw (stderr by default).
        live: Draw the live panel when the console is a terminal; else plain lines.
        now: The clock (epoch seconds); tests pass a fixed one.
    """

    def __init__(self, console: Console | None = None, live: bool = True, now=time.time):
        self.console = console or Console(stderr=True)
        self.live_enabled = live and self.console.is_terminal
        self.state = BoardState()
        self.now = now
        self._lock = threading.Lock()  # Live redraws from its own thread
        self._live: Live | None = None

    def __enter__(self) -> Dashboard:
        if self.live_enabled:
            self._live = Live(console=self.console, refresh_per_second=1, transient=False,
                              get_renderable=self.render)
            self._live.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live:
            self._live.stop()

    # ----- what the climb tells it --------------------------------------------------------------
    def on_event(self, event: dict[str, Any], *_: Any) -> None:
        with self._lock:
            self.state.apply(event, event_time(event) or self.now())
        line = describe(event)
        if line is None:
            return
        if not self.live_enabled and event.get("kind") not in PLAIN_SKIP:
            self._plain(line, event)
        elif self.live_enabled and event.get("kind") in NOTICE_KINDS:
            self.console.print(Text(line, style="yellow"))

    def on_row(self, row: Any, *_: Any) -> None:
        with self._lock:
            self.state.row(row)
        line = describe_row(row)
        if not self.live_enabled and line:
            self._plain(line, {}, style="bold")

    def trial_started(self, spec: Any) -> None:
        with self._lock:
            self.state.trial_started()

    def trial_finished(self, result: TrialResult) -> None:
        with self._lock:
            self.state.trial_finished(result.status.value, result.usage)

    def _plain(self, line: str, event: dict[str, Any], style: str = "") -> None:
        stamp = clock(self.state.elapsed(event_time(event) or self.now()))
        text = Text(f"[{stamp}] ", style="dim")
        text.append(line, style=("yellow" if event.get("kind") in NOTICE_KINDS else style))
        self.console.print(text, soft_wrap=True)

    # ----- the picture --------------------------------------------------------------------------
    def render(self, now: float | None = None) -> Panel:
        now = self.now() if now is None else now
        with self._lock:
            rows = self._rows(now)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        for label, value in rows:
            grid.add_row(label, value)
        title = f"harness-climb {self.state.run}".strip()
        return Panel(grid, title=title, title_align="left", border_style="blue")

    def _rows(self, now: float) -> list[tuple[str, Text]]:
        s, width = self.state, max(self.console.width - 18, 40)
        eta = s.stage_eta(now)
        rows = [("clock", Text(f"{clock(s.elapsed(now))} elapsed   (now {datetime.fromtimestamp(now):%H:%M:%S})")),
                ("stage", Text(f"experiment {s.exp} · {s.stage}"
                               + (f" · about {duration(eta)} left in this stage" if eta is not None else "")))]
        if s.meta_turn and s.proposal_started is not None:
            rows.append(("meta-agent", Text(clip_words(s.meta_turn, width * 2))))
        if s.batch is not None and s.batch.active:
            b = s.batch
            rows.append(("trials", Text(f"{b.label}: {b.done}/{b.total} done · {b.running} running · "
                                        f"{b.errors} errors ({b.infra} infrastructure)")))
        rows.append(("limits", Text(self._limits(now))))
        rows.append(("spend", Text(self._spend())))
        rows.append(("incumbent", Text(self._incumbent())))
        if s.notice:
            rows.append(("notice", Text(clip_words(s.notice, width * 2), style="yellow")))
        decisions = s.decision_lines(width * 2)
        rows.append(("decisions", Text("\n".join(decisions) if decisions else "none yet")))
        return rows

    def _limits(self, now: float) -> str:
        s = self.state
        if s.stage in ("finished", "final head-to-head"):
            return "a limit was reached: " + ("the climb has ended" if s.stage == "finished" else
                                              "the final head-to-head is running")
        eta = s.climb_eta(now)
        ends = f"ends in about {duration(eta[0])} ({eta[1]}), then the final head-to-head" if eta else \
            "no limit reached soon" if any(v is not None for v in s.limits.values()) else \
            "no limits: stop with Ctrl-C or a STOP file in the run folder"
        done = f"{s.experiments_done} experiment{'s' if s.experiments_done != 1 else ''} done"
        if s.limits.get("max_experiments") is not None:
            done += f" of {s.limits['max_experiments']}"
        return f"{done} · {ends}"

    def _spend(self) -> str:
        s = self.state
        parts = [f"{ROLES.get(role, role)} {money(v['usd'])} / {tokens(v['tokens'])} tokens"
                 for role, v in sorted(s.spend.items())]
        budget = s.limits.get("budget_usd")
        total = f"total {money(s.spent())}" + (f" of ${budget:g} ({s.spent() / budget:.0%})" if budget else "")
        return " · ".join([total, *parts])

    def _incumbent(self) -> str:
        inc = self.state.incumbent
        if not inc:
            return "not measured yet"
        se = f" ± {inc['se']:.3f}" if inc.get("se") is not None else ""
        train = "n/a" if inc.get("train") is None else f"{inc['train']:.3f}{se}"
        held = "n/a" if inc.get("heldout") is None else f"{inc['heldout']:.3f}"
        who = "baseline" if inc["exp"] == 0 else f"exp {inc['exp']}"
        return (f"{who} ({commit(inc.get('commit'))}): train {train} · held-out {held} · "
                f"running best {sparkline(self.state.best)}")

"""`climb pairings`: start or resume a pairings study, show its cells live, print the matrix."""

from __future__ import annotations

import asyncio
import signal
from argparse import Namespace
from pathlib import Path
from typing import Any, Self

from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from meta.cli.climb import config_from_args
from meta.cli.narrate import clip_words, describe, describe_row, stage_after
from meta.climb.errors import SetupError
from meta.climb.preflight import agent_source, check_models
from meta.pairings.study import PairingsRun, run_pairings
from meta.pairings.config import Cell, PairingsConfig
from meta.report.matrix import print_tables, write_results
from meta.report.folder import write_report
from meta.ledger.runs import new_run_dir
from sandbox.defaults import CONCURRENCY
from sandbox.results import TrialResult, TrialStatus

console = Console(stderr=True)
FIXED_AT_START = ("tasks", "meta", "task", "families", "hours", "max_experiments", "budget_usd", "plateau")
"""Options that shape the study; a resume continues it with the values it started with."""


def _models(text: str | None) -> list[str]:
    return [m.strip() for m in (text or "").split(",") if m.strip()]


def _families(text: str | None) -> dict[str, str]:
    """``MODEL=FAMILY,...``; a model name may itself hold ``=`` only before the last one."""
    families = {}
    for item in _models(text):
        model, sep, family = item.rpartition("=")
        if not sep or not model or not family:
            raise SetupError(f"--families expects MODEL=FAMILY pairs, got {item!r}")
        families[model] = family
    return families


def config_from(args: Namespace) -> PairingsConfig:
    metas, tasks = _models(args.meta), _models(args.task)
    if not args.tasks or not metas or not tasks:
        raise SetupError("climb pairings needs TASKS, --meta M1,M2,... and --task T1,T2,... (or --resume DIR)")
    # The template climb; every cell replaces its meta model, task model and seed.
    values = {**vars(args), "meta_model": metas[0], "task_model": tasks[0], "allowed_models": None,
              "concurrency": args.concurrency or CONCURRENCY}
    try:
        template = config_from_args(Namespace(**values))
        return PairingsConfig(meta_models=metas, task_models=tasks, seeds=args.seeds,
                              families=_families(args.families), concurrency=args.concurrency or CONCURRENCY,
                              transfer_repeats=args.transfer_repeats, climb=template)
    except ValidationError as exc:
        raise SetupError(f"climb pairings: {exc}") from exc


def cmd_pairings(args: Namespace) -> int:
    if args.resume:
        fixed = [f"--{k.replace('_', '-')}" for k in FIXED_AT_START if getattr(args, k, None)]
        if fixed:  # finished cells would keep the old value: the cells would no longer be comparable
            raise SetupError(f"a pairings study's models, tasks and budget are fixed when it starts; "
                             f"--resume does not take {', '.join(fixed)}")
        run = PairingsRun.open(Path(args.resume))
        if args.concurrency:  # how fast, not what: safe to change between attempts
            run.config = run.config.model_copy(update={"concurrency": args.concurrency})
            run.save()
        _check_models(run.config)
    else:
        config = config_from(args)
        _check_models(config)  # before anything is written: a missing key fails in seconds
        out, run_id = new_run_dir(args.out, "pairings")
        run = PairingsRun.create(config, out, run_id)
    console.print(f"pairings {run.run_id}: {len(run.config.cells())} cells -> {run.out}")
    with CellsView(console, live=not args.no_dashboard) as view:
        errors = asyncio.run(_run_with_signals(run, view))
    if errors is None:
        console.print(f"[yellow]stopped; containers removed. Resume with: climb pairings --resume {run.out}[/yellow]")
        return 130
    data = write_results(run)
    print_tables(data, Console())
    report = write_report(run.out)
    console.print(f"matrix: {run.out / 'pairings.json'}   report: {report.path}")
    if errors:
        console.print(f"[red]{len(errors)} cell(s) failed; fix the cause and resume: "
                      f"climb pairings --resume {run.out}[/red]")
        return 1
    return 0


def _check_models(config: PairingsConfig) -> None:
    """Every meta and task model priced (under a budget) and answering, before any cell starts."""
    configs = {(cell.meta, cell.task): config.cell_config(cell) for cell in config.cells()}
    source = agent_source(config.climb)  # every cell's task model is fixed; MODEL is not read
    for warning in check_models(list(configs.values()), [source] * len(configs)):
        console.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)


async def _run_with_signals(run: PairingsRun, view: CellsView) -> dict[str, str] | None:
    """Run the study; Ctrl-C or SIGTERM stops it at once, leaving every cell resumable."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    loop.add_signal_handler(signal.SIGINT, main.cancel)
    loop.add_signal_handler(signal.SIGTERM, main.cancel)

    def cell_done(cell: Cell) -> None:
        write_results(run)  # pairings.json grows as cells finish, so a long study can be read early
        view.done(cell)

    try:
        return await run_pairings(run, views=view.cell, observer=view, on_cell_done=cell_done)
    except asyncio.CancelledError:
        return None


class CellsView:
    """One line per cell (live table, or log lines without a terminal); counts trials of all cells."""

    def __init__(self, console: Console, live: bool = True):
        self.console = console
        self.live_enabled = live and console.is_terminal
        self.cells: dict[str, dict[str, Any]] = {}
        self.running = self.finished = self.infra = 0
        self._live: Live | None = None

    def __enter__(self) -> Self:
        if self.live_enabled:
            self._live = Live(self.render(), console=self.console, refresh_per_second=2)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._live.update(self.render())
            self._live.stop()

    def cell(self, cell: Cell) -> _CellView:
        self.cells[cell.name] = {"stage": "starting", "exp": 0, "train": None, "heldout": None, "last": ""}
        return _CellView(self, cell.name)

    def done(self, cell: Cell) -> None:
        if cell.name in self.cells:  # cells finished by an earlier attempt have no line
            self.cells[cell.name]["stage"] = "done"
            self._say(Text(f"{cell.name}: finished"))

    def _say(self, text: Text) -> None:
        if self._live:
            self._live.update(self.render())
        else:
            self.console.print(text, soft_wrap=True)

    def trial_started(self, spec: Any) -> None:
        self.running += 1
        if self._live:
            self._live.update(self.render())

    def trial_finished(self, result: TrialResult) -> None:
        self.running -= 1
        self.finished += 1
        self.infra += result.status == TrialStatus.INFRA_ERROR
        if self._live:
            self._live.update(self.render())

    def render(self) -> Table:
        table = Table(title=f"trials running {self.running}  done {self.finished}  infra errors {self.infra}")
        for name in ("cell", "stage", "exp", "train", "held-out", "last decision"):
            table.add_column(name)
        def fmt(v: float | None) -> str:
            return "-" if v is None else f"{v:.3f}"

        for name, cell in self.cells.items():
            table.add_row(Text(name), Text(cell["stage"]), str(cell["exp"]), fmt(cell["train"]),
                          fmt(cell["heldout"]), Text(clip_words(cell["last"], 70)))
        return table


class _CellView:
    """The ClimbView of one cell, feeding its line of the table."""

    def __init__(self, parent: CellsView, name: str):
        self.parent, self.name = parent, name

    def on_event(self, event: dict[str, Any]) -> None:
        cell = self.parent.cells[self.name]
        if isinstance(event.get("exp"), int):
            cell["exp"] = event["exp"]
        cell["stage"] = stage_after(event, cell["stage"])
        if event["kind"] in ("pause", "resume_run", "stop"):
            self.parent._say(Text(f"{self.name}: {describe(event)}"))
        elif self.parent._live:
            self.parent._live.update(self.parent.render())

    def on_row(self, row: Any) -> None:
        cell = self.parent.cells[self.name]
        if row.status in ("baseline", "keep"):
            cell["train"], cell["heldout"] = row.train_score, row.heldout_score
        if row.status != "stop":
            cell["last"] = describe_row(row)
            self.parent._say(Text(f"{self.name}: {cell['last']}"))

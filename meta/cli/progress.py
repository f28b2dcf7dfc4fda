"""A rich progress bar for a suite of trials: done / running / failed, elapsed, ETA."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from sandbox.results import TrialResult, TrialStatus
from sandbox.trial import TrialSpec


class SuiteProgress:
    """Implements sandbox.pool.SuiteObserver with a live bar."""

    def __init__(self, total: int, description: str = "trials", console: Console | None = None):
        self.running = 0
        self.failed = 0
        self.infra = 0
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("running {task.fields[running]}  failed {task.fields[failed]}  infra {task.fields[infra]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task_id = self.progress.add_task(description, total=total, running=0, failed=0, infra=0)

    def __enter__(self) -> SuiteProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def _refresh(self, advance: int = 0) -> None:
        self.progress.update(self.task_id, advance=advance, running=self.running,
                             failed=self.failed, infra=self.infra)

    def trial_started(self, spec: TrialSpec) -> None:
        self.running += 1
        self._refresh()

    def trial_finished(self, result: TrialResult) -> None:
        self.running -= 1
        if result.status == TrialStatus.INFRA_ERROR:
            self.infra += 1
        elif result.status != TrialStatus.OK:
            self.failed += 1
        self._refresh(advance=1)

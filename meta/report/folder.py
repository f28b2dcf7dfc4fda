"""Which report a folder gets: a pairings study's, or one climb's."""

from __future__ import annotations

from pathlib import Path

from meta.pairings.study import STATE_FILE
from meta.report.pairings import write_pairings_report
from meta.report.run import Report, write_run_report


def write_report(folder: Path, out: Path | None = None) -> Report:
    """Write the report of a climb run folder or a pairings folder (detected by its files)."""
    folder = Path(folder).resolve()
    if (folder / STATE_FILE).is_file():
        return write_pairings_report(folder, out)
    return write_run_report(folder, out)

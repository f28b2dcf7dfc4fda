"""`climb report RUN_DIR`: write report.html for a climb or a pairings folder."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

from rich.console import Console

from meta.report.folder import write_report

console = Console(stderr=True)


def cmd_report(args: Namespace) -> int:
    report = write_report(Path(args.run_dir), Path(args.out) if args.out else None)
    console.print(f"report: {report.path}")
    return 0

"""Run folders and run ids: one place for the layout of what a run writes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_RUNS_DIR = Path("runs")


def new_run_id(kind: str) -> str:
    """Sortable and unique: kind, UTC timestamp, random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(2)}"


def new_run_dir(out: Path | None, kind: str) -> tuple[Path, str]:
    """A fresh folder for a run: ``out`` if given, else ``runs/<run-id>``."""
    run_id = new_run_id(kind)
    run_dir = Path(out) if out else DEFAULT_RUNS_DIR / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir.resolve(), run_id

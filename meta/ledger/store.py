"""The climb's ledger: results.tsv, events.jsonl and state.json in the run folder.

Append-only and fsynced, so a crash loses nothing already decided. It is the
single source the dashboard, the report and ``--resume`` read.

- ``results.tsv``: one row per experiment (``ResultRow``), plus ``stop`` rows
  saying why a climb ended. Empty cells mean n/a.
- ``events.jsonl``: ``{"t", "exp", "kind", ...}`` per step. A ``decision`` event
  may carry ``per_task_delta: {train_task_id: float}``, which the proposer's
  summary shows; it must never hold held-out tasks.
- ``state.json``: the loop's resume state, replaced atomically.

A torn last line (a crash mid-append) is skipped by readers and cut off by the
next writer, so it neither breaks reading nor turns into a duplicate.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Callable, Collection
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from durable import fsync_dir, write_atomic
from meta.ledger.row import COLUMNS, HEADER, INCUMBENT_STATUSES, ResultRow, Status
from meta.ledger.summary import proposer_summary

GATE_NAMES = {"static": "static gate", "smoke": "smoke test", "tamper": "tamper audit", "overfit": "overfitting review"}
"""How a ``gate`` event's ``gate`` reads to a person (dashboard, progress lines, report)."""

__all__ = ["COLUMNS", "GATE_NAMES", "HEADER", "INCUMBENT_STATUSES", "Ledger", "LedgerError", "ResultRow", "Status"]

RESULTS_FILE = "results.tsv"
EVENTS_FILE = "events.jsonl"
STATE_FILE = "state.json"
_RESERVED_EVENT_KEYS = ("t", "exp", "kind")


class LedgerError(Exception):
    """The ledger files are unreadable, or an append would break their contract."""


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, (Path, datetime)):
        return str(value)
    raise TypeError(f"cannot record a {type(value).__name__} in the ledger")


def _complete_lines(path: Path) -> list[str]:
    """Lines that end in a newline; a torn last line is left out."""
    if not path.exists():
        return []
    # split("\n"), not splitlines(): JSON strings may hold U+2028 and other breaks.
    pieces = path.read_text(encoding="utf-8", errors="replace").split("\n")
    return [piece + "\n" for piece in pieces[:-1]]


def _cut_torn_tail(path: Path) -> None:
    """Truncate a file after its last newline, dropping a half-written final line."""
    if not path.exists():
        return
    with path.open("rb+") as f:
        end = f.seek(0, os.SEEK_END)
        pos = end
        while pos > 0:
            step = min(65536, pos)
            f.seek(pos - step)
            chunk = f.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                pos = pos - step + newline + 1
                break
            pos -= step
        if pos != end:
            f.truncate(pos)
            f.flush()
            os.fsync(f.fileno())


def _cut_back(f: Any, path: Path, size: int) -> None:
    """Close a file whose append failed and cut it back to ``size``: first the close (which may
    flush the buffered rest, or fail to), then the cut, so no piece of the line survives."""
    try:
        f.close()
    except OSError:
        pass
    try:
        os.truncate(path, size)
    except OSError:
        pass  # the next opening of the ledger cuts a torn line anyway


class Ledger:
    """Writer and reader of one run folder's ledger files (one writer per folder).

    Args:
        run_dir: The run folder; created if missing.
        now: Clock for event timestamps (UTC); injectable for tests.
    """

    def __init__(self, run_dir: Path, *, now: Callable[[], datetime] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.results_path = self.run_dir / RESULTS_FILE
        self.events_path = self.run_dir / EVENTS_FILE
        self.state_path = self.run_dir / STATE_FILE
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        _cut_torn_tail(self.results_path)
        _cut_torn_tail(self.events_path)
        if not self.results_path.exists() or self.results_path.stat().st_size == 0:
            self._append(self.results_path, HEADER)
        else:
            first = _complete_lines(self.results_path)[0]
            if first != HEADER:
                raise LedgerError(f"{self.results_path}: unexpected header {first.strip()!r}")
        self._exps = {row.exp for row in self.rows() if row.status != "stop"}

    def _append(self, path: Path, text: str) -> None:
        """Append whole lines or nothing: a failed append (a full disk) is cut off again, so the
        next append, after space was freed, does not glue itself to half a line."""
        created = not path.exists()
        with self._lock, path.open("a", encoding="utf-8") as f:
            size = f.tell()
            try:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            except OSError:
                _cut_back(f, path, size)
                raise
        if created:
            fsync_dir(self.run_dir)

    def has_row(self, exp: int) -> bool:
        """Whether experiment ``exp`` already has its (non-stop) row."""
        return exp in self._exps

    def append_row(self, row: ResultRow) -> None:
        """Append one results row, durably.

        Raises:
            LedgerError: ``row.exp`` already has a row (``stop`` rows excepted).
        """
        if row.status != "stop" and row.exp in self._exps:
            raise LedgerError(f"experiment {row.exp} already has a row in {self.results_path}")
        self._append(self.results_path, row.to_tsv())
        if row.status != "stop":
            self._exps.add(row.exp)

    def rows(self) -> list[ResultRow]:
        """Every complete row, in order.

        Raises:
            LedgerError: A complete line does not parse (named by line number).
        """
        rows = []
        for number, line in enumerate(_complete_lines(self.results_path)[1:], start=2):
            try:
                rows.append(ResultRow.from_tsv(line))
            except (ValueError, ValidationError) as exc:
                raise LedgerError(f"{self.results_path}:{number}: {exc}") from exc
        return rows

    def append_event(self, kind: str, exp: int | None = None, **data: Any) -> dict[str, Any]:
        """Append one event line, durably, and return it.

        Raises:
            ValueError: ``data`` uses a reserved key (t, exp, kind).
            TypeError: A value cannot be written as JSON.
        """
        clash = [key for key in _RESERVED_EVENT_KEYS if key in data]
        if clash:
            raise ValueError(f"event data may not use the reserved key(s) {clash}")
        event = {"t": self._now().isoformat(timespec="milliseconds"), "exp": exp, "kind": kind, **data}
        line = json.dumps(event, default=_jsonable, ensure_ascii=False)
        self._append(self.events_path, line + "\n")
        recorded: dict[str, Any] = json.loads(line)  # what a reader will see, not the objects passed in
        return recorded

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every complete event, in order, optionally only those of one kind.

        Raises:
            LedgerError: A complete line is not a JSON object (named by line number).
        """
        events = []
        for number, line in enumerate(_complete_lines(self.events_path), start=1):
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LedgerError(f"{self.events_path}:{number}: {exc}") from exc
            if not isinstance(event, dict):
                raise LedgerError(f"{self.events_path}:{number}: not a JSON object")
            if kind is None or event.get("kind") == kind:
                events.append(event)
        return events

    def save_state(self, state: dict[str, Any]) -> None:
        """Replace state.json atomically: a reader sees the old state or the new, never half."""
        text = json.dumps(state, default=_jsonable, ensure_ascii=False, indent=1)
        with self._lock:
            write_atomic(self.state_path, text)

    def load_state(self) -> dict[str, Any] | None:
        """The last saved state, or None if none was saved.

        Raises:
            LedgerError: state.json exists but is not a JSON object.
        """
        if not self.state_path.exists():
            return None
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LedgerError(f"{self.state_path}: {exc}") from exc
        if not isinstance(state, dict):
            raise LedgerError(f"{self.state_path}: not a JSON object")
        return state

    def summary_for_proposer(self, last_n: int = 10, *, hidden_tasks: Collection[str] = ()) -> str:
        """Recent experiments as compact text for the meta-agent's prompt.

        Only train information appears, plus the incumbent's held-out aggregate:
        per-row held-out scores and any task in ``hidden_tasks`` are left out.
        """
        return proposer_summary(self.rows(), self.events("decision"), last_n=last_n,
                                hidden_tasks=hidden_tasks)

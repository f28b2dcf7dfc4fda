"""The `climb` command."""

from __future__ import annotations

import importlib
import sys

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from meta.cli.parsers import build_parser
from meta.climb.setup import SetupError
from meta.ledger.store import LedgerError
from models import ModelConfigError
from sandbox.environment import InfraError
from sandbox.task import TaskLoadError

console = Console(stderr=True)

USER_ERRORS = (InfraError, ModelConfigError, SetupError, LedgerError, TaskLoadError)
"""Errors whose message says what to fix: printed as one line, never as a traceback."""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, name = args.func.split(":")
    command = getattr(importlib.import_module(module), name)
    try:
        return command(args)
    except USER_ERRORS as exc:
        return _error(str(exc))
    except ValidationError as exc:
        return _error(validation_message(exc))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError) as exc:
        return _error(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; containers of this run were removed[/yellow]")
        return 130


def _error(message: str) -> int:
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return 3


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as one line: each bad field and why, without the library's URLs."""
    problems = [f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()]
    return f"invalid {exc.title} settings: " + "; ".join(problems)


if __name__ == "__main__":
    sys.exit(main())

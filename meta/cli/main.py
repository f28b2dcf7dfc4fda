"""The `climb` command: parse, then load and run only the command asked for.

Import-light on purpose (measured by bench/cli_startup.py): `climb ... --help` loads the
argument parser and the three error types a command may end with, nothing else; what a
failed command needs to explain itself loads only when it failed.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from meta.cli.parsers import build_parser
from meta.climb.errors import DiskFullError, SetupError
from models.errors import ModelConfigError
from sandbox.environment import InfraError

if TYPE_CHECKING:
    from pydantic import ValidationError

PATH_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, name = args.func.split(":")
    command = getattr(importlib.import_module(module), name)
    try:
        return command(args)
    except KeyboardInterrupt:
        _console().print("[yellow]interrupted; containers of this run were removed[/yellow]")
        return 130
    except Exception as exc:
        message = user_error(exc)
        if message is None:
            raise  # a bug of ours: the traceback is the report
        from rich.markup import escape

        _console().print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
        return 3


def user_error(exc: Exception) -> str | None:
    """The one line that says what to fix, for errors whose message does; None for our bugs."""
    from pydantic import ValidationError

    from meta.ledger.store import LedgerError
    from sandbox.task import TaskLoadError

    if isinstance(exc, (InfraError, ModelConfigError, SetupError, DiskFullError, LedgerError, TaskLoadError)):
        return str(exc)
    if isinstance(exc, ValidationError):
        return validation_message(exc)
    if isinstance(exc, PATH_ERRORS):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    return None


def validation_message(exc: ValidationError) -> str:
    """A pydantic error as one line: each bad field and why, without the library's URLs."""
    problems = [f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()]
    return f"invalid {exc.title} settings: " + "; ".join(problems)


def _console():  # rich takes longer to load than the whole parser: only when there is something to say
    from rich.console import Console

    return Console(stderr=True)


if __name__ == "__main__":
    sys.exit(main())

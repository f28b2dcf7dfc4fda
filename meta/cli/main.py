"""The `climb` command: parse, then load and run only the command asked for.

Import-light on purpose (measured by bench/cli_startup.py): `climb ... --help` loads the
argument parser and the three error types a command may end with, nothing else.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from meta.cli.parsers import build_parser
from meta.climb.errors import SetupError
from models.errors import ModelConfigError
from sandbox.environment import InfraError

if TYPE_CHECKING:
    from rich.console import Console


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, name = args.func.split(":")
    command = getattr(importlib.import_module(module), name)
    try:
        return command(args)
    except (InfraError, ModelConfigError, SetupError) as exc:
        _console().print(f"[red]error:[/red] {_escape(str(exc))}", soft_wrap=True)  # whole lines: names stay copyable
        return 3
    except KeyboardInterrupt:
        _console().print("[yellow]interrupted; containers of this run were removed[/yellow]")
        return 130


def _console() -> Console:  # rich takes longer to load than the whole parser: only when there is something to say
    from rich.console import Console

    return Console(stderr=True)


def _escape(text: str) -> str:
    """An error names files and fields like ``[verifier].timeout_sec``: text, not rich markup."""
    from rich.markup import escape

    return escape(text)


if __name__ == "__main__":
    sys.exit(main())

"""The `climb` command."""

from __future__ import annotations

import argparse
import sys
import importlib

from rich.console import Console

from sandbox.environment import InfraError
from meta.climb.setup import SetupError
from models import ModelConfigError

from meta.cli.parsers import build_parser

console = Console(stderr=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, name = args.func.split(":")
    command = getattr(importlib.import_module(module), name)
    try:
        return command(args)
    except (InfraError, ModelConfigError, SetupError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 3
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; containers of this run were removed[/yellow]")
        return 130


if __name__ == "__main__":
    sys.exit(main())

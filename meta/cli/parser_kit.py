"""The pieces every `climb` command's parser is made of: the help formatter that names each
flag's default, argparse types for paths that must exist, and a command with its examples.

Import-light like ``meta.cli.parsers`` (stdlib only): `climb --help` loads nothing else.
"""

from __future__ import annotations

import argparse
from pathlib import Path


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' line breaks; appends a flag's default when its help does not say it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (off by default)"
        if action.default is None:
            return text
        return f"{text} (default: %(default)s)"


def _path_check(kind: str):
    """An argparse type: a Path that must exist as a file, a folder, or either."""

    def check(text: str) -> Path:
        path = Path(text).expanduser()
        if not path.exists():
            raise argparse.ArgumentTypeError(f"no such {kind}: {text}")
        if kind == "file" and not path.is_file():
            raise argparse.ArgumentTypeError(f"not a file: {text}")
        if kind == "folder" and not path.is_dir():
            raise argparse.ArgumentTypeError(f"not a folder: {text}")
        return path

    check.__name__ = kind  # argparse names the type in its messages
    return check


existing_file, existing_dir, existing_path = _path_check("file"), _path_check("folder"), _path_check("file or folder")


def command(sub: argparse._SubParsersAction, name: str, summary: str, examples: str, **kw) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                          epilog="examples:\n" + examples, formatter_class=HelpFormatter, **kw)

"""The command line speaks to people: every flag explained with its default, examples for every
command, a version, and one clean line (no traceback) for a path that is not there."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from meta.cli.main import main
from meta.cli.parsers import HelpFormatter, build_parser

CLIMB = Path(sys.executable).parent / "climb"


def commands(parser: argparse.ArgumentParser, prefix: str = "climb"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from commands(sub, f"{prefix} {name}")


def test_every_flag_says_what_it_does_and_its_default():
    found = list(commands(build_parser()))
    assert {"climb run", "climb spot", "climb pairings", "climb report", "climb demo", "climb tasks check"} <= \
        {name for name, _ in found}
    for name, parser in found:
        assert "examples:\n  climb" in (parser.epilog or ""), f"{name} has no examples"
        formatter = HelpFormatter(name)
        for action in parser._actions:
            if not action.option_strings or isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            text = formatter._get_help_string(action)
            flag = action.option_strings[-1]
            assert len((action.help or "").split()) >= 3, f"{name} {flag}: no sentence"
            required = action.dest in ("meta_model", "meta", "task")  # under "required (unless --resume)"
            assert "default" in text or required, f"{name} {flag}: no default in {text!r}"


def test_required_options_are_shown_as_required():
    text = build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    assert "climb run TASKS... --meta-model M [options]" in text and "required (unless --resume)" in text


def test_version():
    proc = subprocess.run([str(CLIMB), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("climb ")


@pytest.mark.parametrize("argv, says", [
    (["report", "/no/such/run"], "no such folder: /no/such/run"),
    (["run", "/no/such/tasks", "--meta-model", "scripted:x"], "no such file or folder: /no/such/tasks"),
    (["spot", "hello", "--agent-file", "/no/agent.py"], "no such file: /no/agent.py"),
])
def test_a_path_that_is_not_there_is_one_line_naming_the_flag(argv, says, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and says in err and "Traceback" not in err


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is not a climb run folder" in err and len(err.strip().splitlines()) == 1

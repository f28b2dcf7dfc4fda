"""Habits the code keeps, checked so they stay true: ruff clean, types checked on the rooms that
are annotated (pyproject.toml says which), and files and functions small.

The size rule (STYLE.md): no file over 300 lines and no function over 60 lines outside tests.
The few exceptions are listed below, each with why; one that no longer needs to be an exception
fails the test too, so the list cannot go stale.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ("meta", "models", "sandbox", "task_agent", "durable", "bench", "scripts")
MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 60
EXCEPTIONS: dict[str, str] = {}
"""None left; a new one needs its reason here (file or file:function -> why)."""


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    out = _run("ruff", "check", "--output-format", "concise", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_types_check_on_the_annotated_rooms():
    out = _run("mypy")  # files and strictness from [tool.mypy] in pyproject.toml
    assert out.returncode == 0, out.stdout + out.stderr


def _functions(tree: ast.AST, prefix: str = ""):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}{node.name}", node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


def oversized() -> dict[str, int]:
    """Every file over MAX_FILE_LINES and function over MAX_FUNCTION_LINES, with its length."""
    found = {}
    for top in CODE:
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            text = path.read_text()
            if len(text.splitlines()) > MAX_FILE_LINES:
                found[name] = len(text.splitlines())
            for function, length in _functions(ast.parse(text, name)):
                if length > MAX_FUNCTION_LINES:
                    found[f"{name}:{function}"] = length
    return found


def test_files_and_functions_stay_small():
    found = oversized()
    over = {name: length for name, length in found.items() if name not in EXCEPTIONS}
    assert over == {}, f"split these by role (or list them in EXCEPTIONS, saying why): {over}"
    stale = sorted(set(EXCEPTIONS) - set(found))
    assert stale == [], f"no longer over the limits, so no longer exceptions: {stale}"


@pytest.mark.parametrize("source, expected", [
    ("def f():\n" + "    x = 1\n" * 60, {"f": 61}),
    ("class A:\n    async def g(self):\n" + "        pass\n" * 10, {"A.g": 11}),
])
def test_the_size_rule_measures_what_it_says(source, expected):
    assert {name: n for name, n in _functions(ast.parse(source)) if n > 10} == expected

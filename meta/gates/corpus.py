"""What a task holds that an agent must not learn by heart, split into literals and prose.

Read from the task folder: the instruction, and the verifier (tests/) and
solution (solution/) files. Scripts are split into their string literals and
their comments/heredocs; their code is left out of the prose, because code
idioms (``capture_output=True, text=True``) are shared with any harness.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sandbox.task import Task

STRING_MIN = 8
EXPECTED_LINE_MIN = 8
MAX_FILE_BYTES = 512 * 1024

LeakKind = Literal["task_name", "shared_text", "path", "string", "number", "expected_line"]

_CODE_SUFFIXES = frozenset({".py", ".sh", ".bash", ".js", ".ts", ".rb", ".pl", ".go", ".c", ".h", ".cc",
                            ".cpp", ".rs", ".java", ".php", ".lua", ".r", ".jl", ".toml", ".cfg", ".ini",
                            ".yaml", ".yml", ".mk", ".dockerfile"})
_PROSE_SUFFIXES = frozenset({".md", ".rst"})
PATH_RE = re.compile(r"(?<![\w./~-])/[\w.+-]+(?:/[\w.+-]+)+")
STRING_RE = re.compile(rf"'([^'\n]{{{STRING_MIN},}})'|\"([^\"\n]{{{STRING_MIN},}})\"")
NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\w|\.\d)")
_QUOTED = re.compile(r"""^[a-zA-Z]*('{3}|"{3}|'|")(.*)\1$""", re.DOTALL)
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?[^\n]*\n(.*?)\n\s*\1\s*$", re.DOTALL | re.MULTILINE)


def task_names(task: Task) -> list[str]:
    """The names a task is known by: its folder name, its ``[task].name`` and that name's last part."""
    names = [task.id]
    if task.config.task and task.config.task.name:
        full = task.config.task.name
        names += [full, full.rsplit("/", 1)[-1]]
    return list(dict.fromkeys(names))


def _read_texts(root: Path | None, prefix: str) -> dict[str, str]:
    """Text files under root by ``prefix/relative path``; binary and huge files are skipped."""
    texts: dict[str, str] = {}
    if root is None or not root.is_dir():
        return texts
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            with path.open("rb") as f:
                data = f.read(MAX_FILE_BYTES)
        except OSError:
            continue
        if b"\0" not in data:
            texts[f"{prefix}/{path.relative_to(root).as_posix()}"] = data.decode("utf-8", "replace")
    return texts


def _python_pieces(text: str) -> tuple[list[str], list[str]] | None:
    """(string literal values, comments) of Python source, or None if it does not tokenize."""
    strings, comments = [], []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING:
                body = _QUOTED.match(token.string)
                strings.append(body.group(2) if body else token.string)
            elif token.type == tokenize.COMMENT:
                comments.append(token.string.lstrip("#"))
    except (tokenize.TokenError, SyntaxError):
        return None
    return strings, comments


def _code_pieces(name: str, text: str) -> tuple[list[str], list[str]]:
    """(string literals, comments and heredoc bodies) of a script."""
    if name.endswith(".py"):
        pieces = _python_pieces(text)
        if pieces is not None:
            return pieces
    strings, prose = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            prose.append(stripped.lstrip("#"))
            continue  # apostrophes in comments would pair up into fake strings
        strings += [m.group(1) or m.group(2) for m in STRING_RE.finditer(line)]
    prose += [m.group(2) for m in _HEREDOC.finditer(text)]
    return strings, prose


@dataclass(frozen=True)
class TaskCorpus:
    """What one task holds that the agent must not have learnt by heart."""

    task: Task
    literals: list[tuple[LeakKind, str, str]]
    """(kind, literal, source file) for the distinctive literals of the verifier and solution."""
    prose: dict[str, str]
    """Text a prompt could copy, by source: the instruction, data files, and the strings,
    comments and heredocs of scripts (their code is left to the literal checks, because
    code idioms are shared with any Python or shell harness)."""
    everything: str
    """The instruction and every file, concatenated: where a literal's commonness is counted."""

    @classmethod
    def load(cls, task: Task) -> TaskCorpus:
        files = {**_read_texts(task.tests_dir, "tests"), **_read_texts(task.solution_dir, "solution")}
        literals: list[tuple[LeakKind, str, str]] = []
        prose = {"instruction.md": task.instruction}
        for source, text in {"instruction.md": task.instruction, **files}.items():
            literals += [("path", m.group(0).rstrip("."), source) for m in PATH_RE.finditer(text)]
            if source == "instruction.md":
                continue
            literals += [("number", m.group(0), source) for m in NUMBER_RE.finditer(text)]
            suffix = Path(source).suffix.lower()
            if suffix in _PROSE_SUFFIXES:
                prose[source] = text
            elif suffix in _CODE_SUFFIXES or text.startswith("#!"):
                strings, other = _code_pieces(source, text)
                literals += [("string", lit, source) for lit in strings if len(lit) >= STRING_MIN]
                prose[source] = "\n".join(strings + other)
            else:
                lines = (line.strip() for line in text.splitlines())
                literals += [("expected_line", line, source) for line in lines
                             if len(line) >= EXPECTED_LINE_MIN and _looks_like_data(line)]
                prose[source] = text
        return cls(task, literals, prose, "\n".join([task.instruction, *files.values()]))


def _looks_like_data(line: str) -> bool:
    """A data line worth matching: it has digits or punctuation, or several words.

    'north,48213.75' is evidence; 'hello world' is something any prompt may say.
    """
    return any(not (c.isalpha() or c.isspace()) for c in line) or len(line.split()) >= 3

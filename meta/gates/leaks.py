"""The mechanical half of the anti-overfitting gate: does a candidate's added code leak task data?

It looks in the lines a candidate adds to agent.py for what only a specific
task could have taught it: the task's name, long passages of its instruction,
tests or solution, and distinctive literals of its verifier and solution
(paths, quoted strings, long numbers, expected-output lines). Harness text is
not a leak: anything already in the incumbent agent.py, anything shared by
many tasks, and well-known system paths and round numbers are ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from meta.gates.corpus import NUMBER_RE, PATH_RE, LeakKind, TaskCorpus, task_names
from sandbox.task import Task

__all__ = ["LeakFinding", "LeakKind", "LeakReport", "added_lines", "name_pattern", "scan_leaks",
           "task_names"]

SHARED_TEXT_MIN = 40
"""Characters of whitespace-normalised text shared with a task file that count as a copy."""
NUMBER_MIN_DIGITS = 4
GENERIC_TASK_FRACTION = 0.3
"""A literal found in at least this share of the tasks (and at least 3) is generic harness text."""

# Roots whose paths are system or Harbor plumbing, not knowledge of one task.
_GENERIC_PATH_ROOTS = frozenset({"tmp", "usr", "bin", "sbin", "lib", "lib64", "dev", "proc", "sys",
                                 "logs", "tests", "solution", "oracle", "run"})
_COMMON_STRINGS = frozenset({"__main__", "__name__", "__init__", "utf-8", "/dev/null", "ignore",
                             "strict", "replace", "returncode", "stdout", "stderr"})
# Standards, well-known ports and placeholder numbers a general prompt may cite.
_WELL_KNOWN_NUMBERS = frozenset({"8601", "3339", "2822", "8080", "8443", "5432", "3306", "6379",
                                 "27017", "65535", "1234", "12345", "9999"})
_ESCAPES = re.compile(r"\\[ntr]")


@dataclass(frozen=True)
class LeakFinding:
    """One piece of task data found in the added code."""

    task_id: str
    kind: LeakKind
    evidence: str
    """What was found and where it comes from, short enough for a log line."""


@dataclass(frozen=True)
class LeakReport:
    """All findings; ``ok`` when there are none."""

    findings: list[LeakFinding]
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ok", not self.findings)


def added_lines(diff: str) -> list[str]:
    """The added lines (without the leading '+') of a unified diff, hunk bodies only."""
    lines, in_hunk = [], False
    for line in diff.splitlines():
        if line.startswith("diff --git"):
            in_hunk = False
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line.startswith("+"):
            lines.append(line[1:])
    return lines


def name_pattern(name: str) -> re.Pattern[str]:
    """A case-insensitive pattern for a task name as a whole token, '-' and '_' interchangeable."""
    parts = [re.escape(part) for part in re.split(r"[-_]", name)]
    return re.compile(r"(?<![\w-])" + "[-_]".join(parts) + r"(?![\w-])", re.IGNORECASE)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _windows(text: str, size: int) -> set[int]:
    return {hash(text[i:i + size]) for i in range(len(text) - size + 1)}


def _is_distinctive(literal: str) -> bool:
    """A string or line specific enough to count: not one plain word, not a code commonplace."""
    if literal.lower() in _COMMON_STRINGS or sum(c.isalnum() for c in literal) < 4:
        return False
    return not literal.isalpha()  # 'database', 'password': words any prompt may use


def _contains(text: str, literal: str) -> bool:
    """``literal`` in ``text``, not as part of a longer word or number."""
    if literal not in text:
        return False  # the common case, without compiling a pattern
    start = r"(?<!\w)" if literal[0].isalnum() else ""
    end = r"(?!\w)" if literal[-1].isalnum() else ""
    return re.search(start + re.escape(literal) + end, text) is not None


def _is_generic_path(path: str) -> bool:
    return path.split("/")[1] in _GENERIC_PATH_ROOTS


def _is_generic_number(text: str) -> bool:
    digits = text.replace(".", "")
    if len(digits) < NUMBER_MIN_DIGITS or text in _WELL_KNOWN_NUMBERS:
        return True
    if "." in text:
        return False
    value = int(text)
    # Round numbers, powers of two, years and file modes are what harness code is made of.
    return (value % 100 == 0 or value & (value - 1) == 0 or 1900 <= value <= 2100
            or (text.startswith("0") and len(text) == 4))


def scan_leaks(added: Sequence[str], tasks: Sequence[Task], baseline_source: str) -> LeakReport:
    """Find task-specific data in the lines a candidate adds.

    Args:
        added: The added lines of the candidate's diff (see ``added_lines``).
        tasks: Every task of the benchmark, train and held-out.
        baseline_source: The incumbent agent.py; literals already in it are not leaks.

    Returns:
        A report with one finding per leaked item and task.
    """
    text = "\n".join(added)
    if not text.strip() or not tasks:
        return LeakReport([])
    corpora = [TaskCorpus.load(task) for task in tasks]
    generic_at = max(3, math.ceil(GENERIC_TASK_FRACTION * len(corpora)))

    def is_generic(literal: str) -> bool:
        return sum(literal in c.everything for c in corpora) >= generic_at

    findings: dict[tuple[str, str, str], LeakFinding] = {}

    def add(task_id: str, kind: LeakKind, evidence: str) -> None:
        findings.setdefault((task_id, kind, evidence), LeakFinding(task_id, kind, evidence))

    added_paths = {m.group(0).rstrip(".") for m in PATH_RE.finditer(text)}
    added_numbers = {m.group(0) for m in NUMBER_RE.finditer(text)}
    for corpus in corpora:
        for name in task_names(corpus.task):
            distinctive = len(name) >= 8 or re.search(r"[-_/]", name)
            pattern = name_pattern(name)
            if distinctive and pattern.search(text) and not pattern.search(baseline_source):
                add(corpus.task.id, "task_name", f"mentions the task name {name!r}")
        seen: set[str] = set()
        for kind, literal, source in corpus.literals:
            if literal in seen:
                continue
            if kind == "path":
                present = literal in added_paths and not _is_generic_path(literal)
            elif kind == "number":
                present = literal in added_numbers and not _is_generic_number(literal)
            else:
                present = _is_distinctive(literal) and _contains(text, literal)
            if present and literal not in baseline_source and not is_generic(literal):
                seen.add(literal)
                add(corpus.task.id, kind, f"{literal[:120]!r} from {source}")
    for task_id, source, span in _shared_text(text, corpora, baseline_source, generic_at):
        add(task_id, "shared_text", f"{len(span)} chars shared with {source}: {span[:160]!r}")
    return LeakReport(list(findings.values()))


def _shared_text(text: str, corpora: Sequence[TaskCorpus], baseline: str,
                 generic_at: int) -> list[tuple[str, str, str]]:
    """(task id, source file, span) for each long passage the added text shares with a task file."""
    size = SHARED_TEXT_MIN
    # Prompt text is usually added as string literals: escaped newlines are whitespace too.
    added = _normalise(_ESCAPES.sub(" ", text))
    if len(added) < size:
        return []
    baseline_windows = _windows(_normalise(_ESCAPES.sub(" ", baseline)), size)
    added_hashes = [hash(added[i:i + size]) for i in range(len(added) - size + 1)]
    wanted = set(added_hashes) - baseline_windows
    per_task = [{name: _windows(_normalise(doc), size) & wanted for name, doc in c.prose.items()}
                for c in corpora]
    task_count: dict[int, int] = {}
    for docs in per_task:
        for h in set().union(*docs.values()):
            task_count[h] = task_count.get(h, 0) + 1
    spans = []
    for corpus, docs in zip(corpora, per_task):
        for name, hits in docs.items():
            hits = {h for h in hits if task_count[h] < generic_at}
            positions = [i for i, h in enumerate(added_hashes) if h in hits]
            for start, end in _runs(positions):
                spans.append((corpus.task.id, name, added[start:end + size]))
    return spans


def _runs(positions: list[int]) -> Iterable[tuple[int, int]]:
    """Maximal runs of consecutive integers as (first, last)."""
    for i, pos in enumerate(positions):
        if i == 0 or pos != positions[i - 1] + 1:
            start = pos
        if i == len(positions) - 1 or positions[i + 1] != pos + 1:
            yield start, pos

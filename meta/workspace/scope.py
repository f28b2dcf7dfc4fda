"""Pure text rules of the edit scope: editable regions, and the size of a source file.

An agent file may declare editable regions between lines ``# climb: editable-begin``
and ``# climb: editable-end``; then only text between them may change. A file
without markers is editable everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EDITABLE_BEGIN = "# climb: editable-begin"
EDITABLE_END = "# climb: editable-end"
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Complexity:
    """A rough size of a source file, for the keep rule's 'simpler' clause."""

    lines: int
    """Non-blank lines that are not comment-only."""
    tokens: int
    """Words and punctuation marks on those lines (prompt text included: it is complexity too)."""


def count_complexity(text: str) -> Complexity:
    """Count non-blank, non-comment lines and rough tokens of a Python source."""
    code = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return Complexity(lines=len(code), tokens=sum(len(_TOKEN.findall(line)) for line in code))


def _fixed_segments(text: str) -> list[tuple[int, list[str]]] | str:
    """The text outside the editable regions: (first line number, lines) per segment.

    Marker lines belong to the fixed segments, so moving or deleting one is a change.
    Returns an error message when the markers do not alternate begin/end.
    """
    segments: list[tuple[int, list[str]]] = [(1, [])]
    inside = False
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == (EDITABLE_END if inside else EDITABLE_BEGIN):
            if inside:
                segments.append((number, [line]))
            else:
                segments[-1][1].append(line)
            inside = not inside
            continue
        if marker in (EDITABLE_BEGIN, EDITABLE_END):
            return f"line {number}: {marker!r} out of order"
        if not inside:
            segments[-1][1].append(line)
    if inside:
        return f"{EDITABLE_BEGIN!r} without a matching {EDITABLE_END!r}"
    return segments


def region_violations(base_text: str, new_text: str) -> str | None:
    """Why ``new_text`` changes text outside the editable regions ``base_text`` declares, or None.

    A file without markers in ``base_text`` is editable everywhere.
    """
    base = _fixed_segments(base_text)
    if isinstance(base, str):
        return f"the base declares malformed editable regions ({base})"
    if len(base) == 1:
        return None
    new = _fixed_segments(new_text)
    if isinstance(new, str) or len(new) != len(base):
        detail = new if isinstance(new, str) else f"{len(base) - 1} region(s) before, {len(new) - 1} now"
        return f"the editable-region markers were changed ({detail})"
    problems = []
    for (_, old_lines), (start, new_lines) in zip(base, new):
        if old_lines == new_lines:
            continue
        index = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b),
                     min(len(old_lines), len(new_lines)))
        shown = new_lines[index].strip()[:80] if index < len(new_lines) else "(lines removed)"
        problems.append(f"line {start + index}: {shown!r}")
    if not problems:
        return None
    return "changes outside the editable region at " + "; ".join(problems[:5])

"""The meta-agent's tools: read what it may read, edit agent.py, spot-check, finish.

What the meta-agent can reach is decided here, in code: files of the climb's
workspace except `.git` and every task folder, and the trials of train tasks.
Held-out tasks' names, files and trials are never reachable; paths are checked
after resolving links, so a link planted by an agent in a trial folder leads
nowhere.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.results import TrialResult, read_result
from task_agent.runtime import Tool

READ_LIMIT = 12_000
GREP_MATCH_LIMIT = 40
LIST_LIMIT = 200


class ToolRefused(Exception):
    """The tool cannot do that; the message goes back to the model as an error."""


MetaTool = Tool
"""The meta-agent's tools are the same small record as the task agent's."""


@dataclass
class Reach:
    """The roots the meta-agent may read, and what inside them it may not."""

    workspace: Path
    trial_roots: list[Path]
    denied: list[Path] = field(default_factory=list)

    def check(self, path: str | Path) -> Path:
        raw = Path(path)
        candidate = raw if raw.is_absolute() else self.workspace / raw
        if not raw.is_absolute() and not candidate.exists() and (self.workspace.parent / raw).exists():
            candidate = self.workspace.parent / raw  # trial paths are listed relative to the run folder
        real = Path(os.path.realpath(candidate))
        roots = [Path(os.path.realpath(r)) for r in [self.workspace, *self.trial_roots]]
        if not any(real == root or root in real.parents for root in roots):
            raise ToolRefused(f"{path}: outside what you may read (the workspace and train trials)")
        for denied in self.denied:
            denied = Path(os.path.realpath(denied))
            if real == denied or denied in real.parents:
                raise ToolRefused(f"{path}: not readable (task folders, held-out data and .git are off limits)")
        return real


def read_text(path: Path, offset: int = 0, limit: int = READ_LIMIT) -> str:
    """A slice of a text file, opened without following a final symlink."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise ToolRefused(f"{path}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as fh:
        fh.seek(max(0, offset))
        data = fh.read(limit + 1)
        size = os.fstat(fh.fileno()).st_size
    text = data[:limit].decode("utf-8", errors="replace")
    if len(data) > limit:
        text += f"\n[... truncated: file has {size} bytes; read again with offset={offset + limit}]"
    return text


def page(text: str, offset: int = 0, limit: int = READ_LIMIT) -> str:
    """A slice of a long text, with how to read on."""
    offset = max(0, offset)
    if offset + limit >= len(text):
        return text[offset:]
    more = f"\n[... truncated: {len(text)} characters; read again with offset={offset + limit}]"
    return text[offset:offset + limit] + more


@dataclass
class TrialIndex:
    """The train trials the meta-agent may inspect, found on disk."""

    roots: list[Path]
    train_tasks: set[str]

    def results(self) -> list[TrialResult]:
        found = []
        for root in self.roots:
            if not root.is_dir():
                continue
            for result_file in sorted(root.glob("**/trials/*/result.json")):
                try:
                    result = read_result(result_file)
                except (OSError, ValueError):
                    continue
                if result.task in self.train_tasks:
                    found.append(result)
        return found

    def find(self, trial_id: str) -> TrialResult:
        for result in self.results():
            if result.trial_id == trial_id:
                return result
        raise ToolRefused(f"no train trial with id {trial_id!r} (use list_trials)")


PARTS = {
    "trajectory": "agent/trajectory.json",
    "verifier": "verifier/test-stdout.txt",
    "result": "result.json",
    "agent_stderr": "agent/agent-stderr.txt",
}


def describe_trial(result: TrialResult, root: Path) -> str:
    where = Path(result.trial_dir)
    try:
        where = where.relative_to(root)
    except ValueError:
        pass
    return (f"{result.trial_id}  task={result.task}  reward={result.reward}  status={result.status.value}"
            f"  path={where}")


def grep(index: TrialIndex, reach: Reach, pattern: str, part: str, task: str | None) -> str:
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ToolRefused(f"bad regular expression: {exc}") from exc
    rel = PARTS.get(part)
    if rel is None:
        raise ToolRefused(f"part must be one of {sorted(PARTS)}")
    lines = []
    for result in index.results():
        if task and result.task != task:
            continue
        try:
            path = reach.check(Path(result.trial_dir) / rel)
            text = read_text(path, 0, 2_000_000)
        except ToolRefused:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if regex.search(line):
                lines.append(f"{result.trial_id}:{part}:{number}: {line[:300]}")
                if len(lines) >= GREP_MATCH_LIMIT:
                    return "\n".join(lines) + f"\n[stopped at {GREP_MATCH_LIMIT} matches]"
    return "\n".join(lines) or "no matches"


def as_json(data: Any) -> str:
    return json.dumps(data, indent=1, default=str)

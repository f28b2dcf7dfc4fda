"""The meta-agent's tools: what it may read, how it edits agent.py, spot checks, finish.

Each tool is a ``Tool`` record (the same record the task agent's runtime uses); the
reach rules (what may be read at all) live in ``reach.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meta.proposer.reach import (
    PARTS,
    MetaTool,
    Reach,
    ToolRefused,
    TrialIndex,
    describe_trial,
    grep,
    page,
    read_text,
)
from meta.proposer.transcript import TRANSCRIPT_FILE
from sandbox.results import TrialResult

SpotCheck = Callable[[list[str], int], Awaitable[list[TrialResult]]]


@dataclass
class Proposal:
    """What the meta-agent says its edit does."""

    description: str
    hypothesis: str = ""
    failure_class: str = ""
    targeted_tasks: list[str] = field(default_factory=list)
    finished: bool = True
    """False when the conversation ran out of turns without calling finish."""
    turns: int = 0
    spot_trials: int = 0


class Finished(Exception):
    """The meta-agent called finish: the conversation ends with this proposal."""

    def __init__(self, proposal: Proposal):
        self.proposal = proposal


@dataclass
class ToolSetup:
    """What the tools of one proposal conversation may reach and do."""

    workspace_path: Path
    agent_path: str
    reach: Reach
    trials: TrialIndex
    spot_check: SpotCheck
    spot_budget: int
    """Trials the meta-agent may spend on spot checks in this experiment."""
    train_instructions: dict[str, str]
    train_scores: dict[str, float]
    """The incumbent's mean reward per train task."""
    experiments: str = ""
    """Every past experiment (the ledger summary without its recent-only limit)."""


class MetaTools:
    """The tool set of one conversation; counts the spot-check trials it spends."""

    def __init__(self, setup: ToolSetup):
        self.s = setup
        self.spent = 0
        self.by_name = self._tools()

    @property
    def agent_file(self) -> Path:
        return self.s.workspace_path / self.s.agent_path

    def specs(self) -> list[dict[str, Any]]:
        return [tool.spec() for tool in self.by_name.values()]

    async def call(self, name: str, arguments: dict[str, Any], parse_error: str | None) -> str:
        """Run one tool call; a refusal is ``ToolRefused`` (sent back as an error), finish is ``Finished``."""
        if parse_error:
            raise ToolRefused(f"invalid arguments: {parse_error}")
        tool = self.by_name.get(name)
        if tool is None:
            raise ToolRefused(f"unknown tool {name!r}")
        try:
            return await tool.fn(**arguments)
        except TypeError as exc:
            raise ToolRefused(f"bad arguments for {name}: {exc}") from exc
        except (OSError, ValueError) as exc:
            # A folder read as a file, text that cannot be encoded...: the model's problem to fix,
            # never the climb's. Outages and infra errors of spot checks are not caught here.
            raise ToolRefused(f"{name} failed: {type(exc).__name__}: {exc}") from exc

    def _tools(self) -> dict[str, MetaTool]:
        obj = lambda props, required=(): {"type": "object", "properties": props, "required": list(required)}  # noqa: E731
        string = {"type": "string"}
        integer = {"type": "integer"}
        tools = [
            MetaTool("list_files", "List files under a folder of the workspace or of a train trial.",
                     obj({"path": string}), self.list_files),
            MetaTool("read_file", "Read a text file of the workspace or of a train trial (paged).",
                     obj({"path": string, "offset": integer}, ["path"]), self.read_file),
            MetaTool("read_task", "Read the instruction of a train task.", obj({"task": string}, ["task"]),
                     self.read_task),
            MetaTool("list_experiments", "List every past experiment: status, delta, description and "
                     "per-task train deltas (paged). Experiment 12's diff is at experiments/exp-0012/diff.patch, "
                     f"and the conversation that proposed it (an earlier session of yours: what it read, thought "
                     f"and why it chose the edit) at experiments/exp-0012/{TRANSCRIPT_FILE} (read_file).",
                     obj({"offset": integer}), self.list_experiments),
            MetaTool("list_trials", "List train trials (newest last), optionally for one task or only failures.",
                     obj({"task": string, "failed_only": {"type": "boolean"}}), self.list_trials),
            MetaTool("read_trial", f"Read part of a train trial: one of {sorted(PARTS)} (paged).",
                     obj({"trial_id": string, "part": string, "offset": integer}, ["trial_id", "part"]),
                     self.read_trial),
            MetaTool("grep_trials", f"Search train trials with a regular expression in one part {sorted(PARTS)}.",
                     obj({"pattern": string, "part": string, "task": string}, ["pattern", "part"]),
                     self.grep_trials),
            MetaTool("edit_agent", f"Replace one exact, unique occurrence of old_text in {self.s.agent_path}.",
                     obj({"old_text": string, "new_text": string}, ["old_text", "new_text"]), self.edit_agent),
            MetaTool("write_agent", f"Replace the whole content of {self.s.agent_path}.",
                     obj({"content": string}, ["content"]), self.write_agent),
            MetaTool("write_file", "Create or overwrite a file in the workspace. Only a change to "
                     f"{self.s.agent_path} is accepted: if any other file differs at finish, the edit is rejected.",
                     obj({"path": string, "content": string}, ["path", "content"]), self.write_file),
            MetaTool("spot_check", "Run the CURRENT edited agent on a few train tasks and get rewards and trial "
                     "ids to inspect. Costs trials from this experiment's budget.",
                     obj({"task_ids": {"type": "array", "items": string}, "repeats": integer}, ["task_ids"]),
                     self.spot_check),
            MetaTool("finish", "Submit your edit for evaluation. Call exactly once, when the edit is in place.",
                     obj({"description": string, "hypothesis": string, "failure_class": string,
                          "targeted_tasks": {"type": "array", "items": string}},
                         ["description", "hypothesis", "failure_class"]), self.finish),
        ]
        return {tool.name: tool for tool in tools}

    async def list_files(self, path: str = ".") -> str:
        root = self.s.reach.check(path)
        if not root.is_dir():
            raise ToolRefused(f"{path} is not a folder")
        entries = []
        for child in sorted(root.iterdir()):
            try:
                self.s.reach.check(child)
            except ToolRefused:
                continue
            entries.append(child.name + ("/" if child.is_dir() else ""))
        return "\n".join(entries[:200]) or "(empty)"

    async def read_file(self, path: str, offset: int = 0) -> str:
        return read_text(self.s.reach.check(path), offset)

    async def read_task(self, task: str) -> str:
        if task not in self.s.train_instructions:
            raise ToolRefused(f"{task!r} is not a train task; train tasks: {sorted(self.s.train_instructions)}")
        return self.s.train_instructions[task]

    async def list_experiments(self, offset: int = 0) -> str:
        text = self.s.experiments or "No experiments yet."
        return page(text, offset)

    async def list_trials(self, task: str | None = None, failed_only: bool = False) -> str:
        rows = [r for r in self.s.trials.results() if (not task or r.task == task)
                and (not failed_only or (r.score or 0.0) < 1.0)]
        lines = [describe_trial(r, self.s.reach.workspace.parent) for r in rows[-200:]]
        return "\n".join(lines) or "no trials"

    async def read_trial(self, trial_id: str, part: str, offset: int = 0) -> str:
        if part not in PARTS:
            raise ToolRefused(f"part must be one of {sorted(PARTS)}")
        result = self.s.trials.find(trial_id)
        return read_text(self.s.reach.check(Path(result.trial_dir) / PARTS[part]), offset)

    async def grep_trials(self, pattern: str, part: str, task: str | None = None) -> str:
        return grep(self.s.trials, self.s.reach, pattern, part, task)

    async def edit_agent(self, old_text: str, new_text: str) -> str:
        source = self.agent_file.read_text()
        count = source.count(old_text)
        if count != 1:
            raise ToolRefused(f"old_text occurs {count} times in {self.s.agent_path}; it must occur exactly once")
        self.agent_file.write_text(source.replace(old_text, new_text, 1))
        return f"edited {self.s.agent_path}"

    async def write_agent(self, content: str) -> str:
        self.agent_file.write_text(content)
        return f"wrote {self.s.agent_path} ({len(content.splitlines())} lines)"

    async def write_file(self, path: str, content: str) -> str:
        target = (self.s.workspace_path / path).resolve()
        workspace = self.s.workspace_path.resolve()
        if workspace not in target.parents or ".git" in target.relative_to(workspace).parts:
            raise ToolRefused(f"{path}: only files inside the workspace (not .git) can be written")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        return f"wrote {path}"

    async def spot_check(self, task_ids: list[str], repeats: int = 1) -> str:
        unknown = [t for t in task_ids if t not in self.s.train_scores]
        if unknown:
            raise ToolRefused(f"not train tasks: {unknown}")
        cost = len(task_ids) * max(1, repeats)
        if self.spent + cost > self.s.spot_budget:
            raise ToolRefused(f"that needs {cost} trials; {self.s.spot_budget - self.spent} left in this experiment")
        self.spent += cost
        results = await self.s.spot_check(task_ids, max(1, repeats))
        return "\n".join(describe_trial(r, self.s.reach.workspace.parent) + (f"  error={r.error}" if r.error else "")
                         for r in results) or "no results"

    async def finish(self, description: str, hypothesis: str, failure_class: str,
                     targeted_tasks: list[str] | None = None) -> str:
        targeted = [t for t in targeted_tasks or [] if t in self.s.train_scores]
        raise Finished(Proposal(description=description.strip()[:300], hypothesis=hypothesis.strip(),
                                 failure_class=failure_class.strip(), targeted_tasks=targeted))

"""The meta-agent's own trace: each proposal conversation, kept as an ATIF trajectory.

Written with the same recorder as the task agent's trajectories (Harbor's ATIF, rewritten
atomically after every step), so a proposal that fails or is killed mid-way still leaves
its conversation behind, and tools that read ATIF read these too. What it holds:

- step 1: the system prompt; step 2: the first user message (program.md, agent.py, the ledger);
- one ``agent`` step per model reply: its text, ``reasoning_content`` (thinking blocks, when
  the model returns them), tool calls, and ``metrics`` (prompt / completion / cached tokens,
  cost in USD, ``extra.stop_reason``); the tool results are its ``observation``;
- ``user`` steps for the loop's nudges;
- ``final_metrics``: token and cost totals, and in ``extra`` the outcome (``finished``;
  ``unfinished``, whose proposal says why; or ``failed``), the proposal (description,
  hypothesis, failure class, targeted tasks) or the error, and the duration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path
from typing import Any

from models.messages import Reply
from task_agent.atif import Trajectory

TRANSCRIPT_FILE = "meta-trajectory.json"
"""The conversation's file in its experiment folder (experiments/exp-NNNN/)."""
BRIEF = 120
"""Characters of a tool call's main argument in the per-turn summary."""


def brief_call(name: str, arguments: dict[str, Any]) -> str:
    """``read_file: experiments/exp-0002/diff.patch``: a tool call in a few words.

    The first string argument (else the first list), first line only, cut at a word boundary: enough to see
    what the meta-agent is looking at, never a whole file it writes.
    """
    text = next((v for v in arguments.values() if isinstance(v, str) and v.strip()), "")
    if not text:  # e.g. spot_check's task ids
        text = next((", ".join(map(str, v)) for v in arguments.values() if isinstance(v, list) and v), "")
    line = text.strip().splitlines()[0] if text.strip() else ""
    if len(line) > BRIEF:
        cut = line[:BRIEF]
        line = (cut[: cut.rfind(" ")] if cut.rfind(" ") > BRIEF // 2 else cut) + "…"
    return f"{name}: {line}" if line else name


def _our_version() -> str:
    try:
        return package_version("harness-climb")
    except PackageNotFoundError:
        return "unknown"


class Transcript:
    """One proposal conversation's ATIF file, plus a note per turn for whoever watches.

    Args:
        path: Where the trajectory goes (``TRANSCRIPT_FILE`` in the experiment folder).
        model: The meta model's ``provider:model-id``.
        session_id: Unique per conversation (the run id, experiment and attempt).
        on_turn: Called after each reply with a summary: ``turn``, ``tools`` (brief calls),
            ``stop_reason``, ``tokens`` and ``cost_usd`` of that reply.
    """

    def __init__(self, path: Path, *, model: str, session_id: str, version: str = "",
                 on_turn: Callable[[dict[str, Any]], None] | None = None):
        self.path = Path(path)
        self.trajectory = Trajectory(self.path, session_id=session_id, agent_name="harness-climb meta-agent",
                                     agent_version=version or _our_version(), model_name=model)
        self.on_turn = on_turn
        self.closed = False

    def begin(self, system: str, first_message: str) -> None:
        self.trajectory.system(system)
        self.trajectory.user(first_message)

    def reply(self, turn: int, reply: Reply) -> None:
        self.trajectory.agent(reply)
        if self.on_turn:
            self.on_turn({"turn": turn, "tools": [brief_call(c.name, c.arguments) for c in reply.tool_calls],
                          "stop_reason": reply.stop_reason, "cost_usd": round(reply.cost_usd, 6),
                          "tokens": reply.usage.prompt_tokens + reply.usage.output_tokens})

    def results(self, results: list[dict[str, Any]]) -> None:
        self.trajectory.observe(results)

    def user(self, text: str) -> None:
        self.trajectory.user(text)

    def close(self, outcome: str, *, proposal: Any = None, error: str | None = None) -> None:
        """Write the totals and how the conversation ended (safe to call once only)."""
        if self.closed:
            return
        self.closed = True
        extra: dict[str, Any] = {"outcome": outcome}
        if proposal is not None:
            extra["proposal"] = {"description": proposal.description, "hypothesis": proposal.hypothesis,
                                 "failure_class": proposal.failure_class, "targeted_tasks": proposal.targeted_tasks,
                                 "turns": proposal.turns, "spot_trials": proposal.spot_trials}
        if error:
            extra["error"] = error
        self.trajectory.finalize(extra)


class _NotRecorded:
    """A conversation nobody keeps (the default, e.g. in unit tests of the session)."""

    def begin(self, system: str, first_message: str) -> None: ...

    def reply(self, turn: int, reply: Reply) -> None: ...

    def results(self, results: list[dict[str, Any]]) -> None: ...

    def user(self, text: str) -> None: ...


NOT_RECORDED = _NotRecorded()


async def recorded(conversation: Awaitable[Any], transcript: Transcript) -> Any:
    """Await a proposal conversation and close its transcript with how it ended: ``finished``,
    ``unfinished`` (the proposal's description says why), or ``failed`` with the error."""
    try:
        proposal = await conversation
    except BaseException as exc:
        transcript.close("failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    transcript.close("finished" if proposal.finished else "unfinished", proposal=proposal)
    return proposal

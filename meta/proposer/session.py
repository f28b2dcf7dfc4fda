"""The meta-agent: one fresh conversation per experiment that proposes one edit of agent.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meta.proposer.prompts import META_SYSTEM_PROMPT, first_message
from meta.proposer.reach import ToolRefused
from meta.proposer.tools import Finished, MetaTools, Proposal, ToolSetup
from meta.proposer.transcript import NOT_RECORDED, Transcript
from models import ModelClient
from models.base import reply_cap
from models.messages import tool_result

NUDGE = "Continue: use the tools, and call finish when your one edit of agent.py is in place."
MAX_IDLE_REPLIES = 3
"""Replies in a row without a tool call before the conversation is given up. The first two get
a nudge; a model that ignores two nudges has stopped using its tools (it narrates, or has lost the
tool format), and each further turn re-sends the whole conversation, so its cost only grows:
running out the turns this way cost ~180k tokens even with a small model."""


@dataclass
class ProposerSetup:
    """Everything one proposal conversation needs besides its tools."""

    model: ModelClient
    program: str
    ledger_summary: str
    tools: ToolSetup
    max_turns: int = 40
    max_tokens: int = 8192
    """A cap per reply's answer; thinking gets its room on top (``reply_cap``)."""
    allowed_models: list[str] | None = None
    task_model_fixed: bool = False
    thinking: str | int | None = None
    """The meta model's thinking setting (see ``ModelClient.complete``)."""
    effort: str | None = None
    max_idle_replies: int = MAX_IDLE_REPLIES
    transcript: Transcript | None = None
    """Records the conversation as it goes (the caller closes it, however the run ends)."""


class Proposer:
    """One conversation: the meta model, its tools, until finish, the turns run out, or it stops
    using its tools."""

    def __init__(self, setup: ProposerSetup):
        self.s = setup
        self.tools = MetaTools(setup.tools)
        self.record = setup.transcript or NOT_RECORDED

    async def run(self) -> Proposal:
        """Converse until the model calls finish, the turns run out, or ``max_idle_replies`` replies
        in a row call no tool. The last two return an unfinished proposal saying which.

        Raises:
            ModelUnavailableError / ModelAuthError: the caller pauses or stops the climb.
        """
        s, t = self.s, self.s.tools
        messages: list[dict[str, Any]] = [{"role": "user", "content": first_message(
            program=s.program, agent_path=t.agent_path, agent_source=self.tools.agent_file.read_text(),
            ledger_summary=s.ledger_summary, train_scores=t.train_scores, spot_budget=t.spot_budget,
            allowed_models=s.allowed_models, task_model_fixed=s.task_model_fixed)}]
        self.record.begin(META_SYSTEM_PROMPT, messages[0]["content"])
        specs = self.tools.specs()
        idle = 0
        for turn in range(1, s.max_turns + 1):
            reply = await s.model.complete(messages, system=META_SYSTEM_PROMPT, tools=specs,
                                           max_tokens=reply_cap(s.max_tokens, s.thinking, s.effort),
                                           thinking=s.thinking, effort=s.effort)
            # An empty assistant turn cannot be sent back; say it was empty instead.
            messages.append({"role": "assistant", "content": reply.content or [{"type": "text", "text": "(empty)"}]})
            self.record.reply(turn, reply)
            if not reply.tool_calls:
                idle += 1
                if idle >= s.max_idle_replies:
                    return Proposal(description=f"the meta-agent stopped using its tools: {idle} replies in a row "
                                                f"without a tool call (turn {turn} of {s.max_turns})",
                                    finished=False, turns=turn, spot_trials=self.tools.spent)
                messages.append({"role": "user", "content": NUDGE})
                self.record.user(NUDGE)
                continue
            idle = 0
            results = []
            for call in reply.tool_calls:
                try:
                    output = await self.tools.call(call.name, call.arguments, call.parse_error)
                except Finished as done:
                    done.proposal.turns, done.proposal.spot_trials = turn, self.tools.spent
                    self.record.results([*results, tool_result(call.id, "submitted for evaluation")])
                    return done.proposal
                except ToolRefused as exc:
                    results.append(tool_result(call.id, str(exc), is_error=True))
                else:
                    results.append(tool_result(call.id, output))
            self.record.results(results)
            messages.append({"role": "user", "content": results})
        return Proposal(description=f"the meta-agent did not call finish within {s.max_turns} turns", finished=False,
                        turns=s.max_turns, spot_trials=self.tools.spent)

"""The meta-agent: one fresh conversation per experiment that proposes one edit of agent.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meta.proposer.prompts import META_SYSTEM_PROMPT, first_message
from meta.proposer.reach import ToolRefused
from meta.proposer.tools import Finished, MetaTools, Proposal, ToolSetup
from models import ModelClient
from models.messages import tool_result

NUDGE = "Continue: use the tools, and call finish when your one edit of agent.py is in place."


@dataclass
class ProposerSetup:
    """Everything one proposal conversation needs besides its tools."""

    model: ModelClient
    program: str
    ledger_summary: str
    tools: ToolSetup
    max_turns: int = 40
    max_tokens: int = 8192
    allowed_models: list[str] | None = None
    task_model_fixed: bool = False


class Proposer:
    """One conversation: the meta model, its tools, until finish or the turns run out."""

    def __init__(self, setup: ProposerSetup):
        self.s = setup
        self.tools = MetaTools(setup.tools)

    async def run(self) -> Proposal:
        """Converse until the model calls finish or the turns run out.

        Raises:
            ModelUnavailableError / ModelAuthError: the caller pauses or stops the climb.
        """
        s, t = self.s, self.s.tools
        messages: list[dict[str, Any]] = [{"role": "user", "content": first_message(
            program=s.program, agent_path=t.agent_path, agent_source=self.tools.agent_file.read_text(),
            ledger_summary=s.ledger_summary, train_scores=t.train_scores, spot_budget=t.spot_budget,
            allowed_models=s.allowed_models, task_model_fixed=s.task_model_fixed)}]
        specs = self.tools.specs()
        for turn in range(1, s.max_turns + 1):
            reply = await s.model.complete(messages, system=META_SYSTEM_PROMPT, tools=specs, max_tokens=s.max_tokens)
            messages.append({"role": "assistant", "content": reply.content})
            if not reply.tool_calls:
                messages.append({"role": "user", "content": NUDGE})
                continue
            results = []
            for call in reply.tool_calls:
                try:
                    output = await self.tools.call(call.name, call.arguments, call.parse_error)
                except Finished as done:
                    done.proposal.turns, done.proposal.spot_trials = turn, self.tools.spent
                    return done.proposal
                except ToolRefused as exc:
                    results.append(tool_result(call.id, str(exc), is_error=True))
                else:
                    results.append(tool_result(call.id, output))
            messages.append({"role": "user", "content": results})
        return Proposal(description="(the meta-agent did not call finish)", finished=False,
                        turns=s.max_turns, spot_trials=self.tools.spent)

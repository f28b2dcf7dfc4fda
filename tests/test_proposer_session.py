"""The meta-agent's conversation: its thinking settings, and its early stop when it stops using tools."""

from __future__ import annotations

import pytest

from meta.proposer.reach import Reach, TrialIndex
from meta.proposer.session import MAX_IDLE_REPLIES, NUDGE, Proposer, ProposerSetup
from meta.proposer.tools import ToolSetup
from models import ScriptedModel

FINISH = {"tool_calls": [{"name": "finish", "arguments": {"description": "d", "hypothesis": "h",
                                                          "failure_class": "f"}}]}
LOOK = {"tool_calls": [{"name": "list_files", "arguments": {}}]}


def setup(tmp_path, responses: list[dict], **options) -> tuple[ProposerSetup, ScriptedModel]:
    ws = tmp_path / "ws"
    (ws / "task_agent").mkdir(parents=True)
    (ws / "task_agent" / "agent.py").write_text('MODEL = "x"\n')

    async def no_spot_checks(task_ids, repeats):
        raise AssertionError("no spot checks in these tests")

    tools = ToolSetup(workspace_path=ws, agent_path="task_agent/agent.py", reach=Reach(ws, [], []),
                      trials=TrialIndex([], set()), spot_check=no_spot_checks, spot_budget=0,
                      train_instructions={}, train_scores={"t": 0.5})
    model = ScriptedModel(responses, role="meta")
    return ProposerSetup(model=model, program="", ledger_summary="", tools=tools, **options), model


async def test_a_meta_model_that_stops_calling_tools_is_stopped_early(tmp_path):
    chatter = [{"text": "I think the prompt could be better."}] * 10
    config, model = setup(tmp_path, [LOOK, *chatter], max_turns=40)
    proposal = await Proposer(config).run()
    assert not proposal.finished and proposal.turns == 1 + MAX_IDLE_REPLIES
    assert f"{MAX_IDLE_REPLIES} replies in a row without a tool call" in proposal.description
    assert len(model.requests) == 1 + MAX_IDLE_REPLIES  # not 40 turns of a growing conversation
    last = model.requests[-1]["messages"]
    assert [m["content"] for m in last if m["content"] == NUDGE] == [NUDGE] * (MAX_IDLE_REPLIES - 1)


async def test_a_tool_call_resets_the_count_of_idle_replies(tmp_path):
    idle = [{"text": "hmm"}] * (MAX_IDLE_REPLIES - 1)
    config, model = setup(tmp_path, [*idle, LOOK, *idle, FINISH])
    proposal = await Proposer(config).run()
    assert proposal.finished and proposal.turns == 2 * MAX_IDLE_REPLIES
    model.assert_complete()


async def test_running_out_of_turns_says_so(tmp_path):
    config, _ = setup(tmp_path, [LOOK] * 3, max_turns=3)
    proposal = await Proposer(config).run()
    assert not proposal.finished and "did not call finish within 3 turns" in proposal.description


@pytest.mark.parametrize(("thinking", "effort"), [("adaptive", None), (2048, "high"), (None, None)])
async def test_the_meta_model_is_called_with_its_thinking_settings(tmp_path, thinking, effort):
    config, model = setup(tmp_path, [LOOK, FINISH], thinking=thinking, effort=effort)
    await Proposer(config).run()
    assert [(r["thinking"], r["effort"]) for r in model.requests] == [(thinking, effort)] * 2
    assert all(r["max_tokens"] > 2048 for r in model.requests)  # room for thinking in every reply

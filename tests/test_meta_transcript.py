"""The meta-agent's conversation is kept as ATIF, however it ends; through the real anthropic SDK
against the local Messages API server, so thinking, tokens and cost are the provider's."""

from __future__ import annotations

import json

import pytest

from meta.proposer.reach import Reach, TrialIndex
from meta.proposer.session import NUDGE, Proposer, ProposerSetup
from meta.proposer.tools import ToolSetup
from meta.proposer.transcript import Transcript, brief_call, recorded
from models import ModelRequestError, create_model
from tests.atif_check import check_atif
from tests.fakes.messages_api import message_body

USAGE = {"input_tokens": 10_000, "output_tokens": 500, "cache_read_input_tokens": 2_000}


def setup(tmp_path, server, turns: list[dict] | None = None, max_turns: int = 40):
    ws = tmp_path / "workspace"
    (ws / "task_agent").mkdir(parents=True)
    (ws / "task_agent" / "agent.py").write_text('MODEL = "x"\nPROMPT = "hello"\n')

    async def spot(task_ids, repeats):
        return []

    tools = ToolSetup(workspace_path=ws, agent_path="task_agent/agent.py", reach=Reach(ws, [], []),
                      trials=TrialIndex([], {"t"}), spot_check=spot, spot_budget=2,
                      train_instructions={"t": "do it"}, train_scores={"t": 0.0})
    for turn in turns or []:
        server.enqueue(turn)
    notes: list[dict] = []
    transcript = Transcript(tmp_path / "exp-0001" / "meta-trajectory.json", model="anthropic:claude-haiku-4-5",
                            session_id="run-exp1-1", on_turn=notes.append)
    model = create_model("anthropic:claude-haiku-4-5", role="meta", base_url=server.url)
    proposer = Proposer(ProposerSetup(model=model, program="be careful", ledger_summary="No experiments yet.",
                                      tools=tools, max_turns=max_turns, transcript=transcript))
    return proposer, transcript, notes


def load(transcript: Transcript) -> dict:
    doc = json.loads(transcript.path.read_text())
    check_atif(doc)
    return doc


async def test_a_finished_proposal_keeps_thinking_tool_calls_results_tokens_and_cost(tmp_path, fake_llm_server):
    proposer, transcript, notes = setup(tmp_path, fake_llm_server, [
        message_body(thinking="The prompt never asks for a final check.", text="Reading the agent.",
                     tool_uses=[{"id": "a", "name": "read_file", "input": {"path": "task_agent/agent.py"}},
                                {"id": "b", "name": "read_file", "input": {"path": "/etc/passwd"}}], usage=USAGE),
        message_body(text="Thinking aloud, no tool.", usage=USAGE),
        message_body(tool_uses=[{"id": "c", "name": "edit_agent", "input": {"old_text": "hello",
                                                                             "new_text": "hello, check your work"}}],
                     usage=USAGE),
        message_body(tool_uses=[{"id": "d", "name": "finish", "input": {
            "description": "ask for a final check", "hypothesis": "fewer unverified answers",
            "failure_class": "no self-check"}}], usage=USAGE)])
    proposal = await recorded(proposer.run(), transcript)
    doc = load(transcript)
    assert proposal.finished and proposal.turns == 4
    steps = doc["steps"]
    assert [s["source"] for s in steps] == ["system", "user", "agent", "agent", "user", "agent", "agent"]
    assert "be careful" in steps[1]["message"] and 'PROMPT = "hello"' in steps[1]["message"]
    first = steps[2]
    assert first["reasoning_content"] == "The prompt never asks for a final check."
    assert [c["function_name"] for c in first["tool_calls"]] == ["read_file", "read_file"]
    outputs = {r["source_call_id"]: r["content"] for r in first["observation"]["results"]}
    assert 'PROMPT = "hello"' in outputs["a"] and outputs["b"].startswith("[error]")  # refusals are kept too
    assert steps[4]["message"] == NUDGE
    assert first["metrics"]["prompt_tokens"] == 12_000 and first["metrics"]["completion_tokens"] == 500
    # Haiku 4.5: $1 in, $5 out, $0.10 cache read per million tokens.
    assert first["metrics"]["cost_usd"] == pytest.approx(0.0127)
    assert doc["final_metrics"]["total_cost_usd"] == pytest.approx(4 * 0.0127)
    assert doc["final_metrics"]["extra"]["outcome"] == "finished"
    assert doc["final_metrics"]["extra"]["proposal"]["description"] == "ask for a final check"
    assert steps[-1]["observation"]["results"][0]["content"] == "submitted for evaluation"
    assert [n["turn"] for n in notes] == [1, 2, 3, 4]
    assert notes[0]["tools"] == ["read_file: task_agent/agent.py", "read_file: /etc/passwd"]
    assert notes[1]["tools"] == [] and notes[0]["tokens"] == 12_500


async def test_a_failed_proposal_leaves_its_conversation_and_the_error(tmp_path, fake_llm_server):
    proposer, transcript, _ = setup(tmp_path, fake_llm_server, [
        message_body(tool_uses=[{"id": "a", "name": "list_files", "input": {}}], usage=USAGE)])
    fake_llm_server.enqueue_error(400, "prompt is too long: 210000 tokens > 200000 maximum")
    with pytest.raises(ModelRequestError):
        await recorded(proposer.run(), transcript)
    doc = load(transcript)
    assert [s["source"] for s in doc["steps"]] == ["system", "user", "agent"]
    assert doc["steps"][2]["observation"]["results"][0]["content"].startswith("task_agent/")
    extra = doc["final_metrics"]["extra"]
    assert extra["outcome"] == "failed" and "prompt is too long" in extra["error"]


async def test_a_proposal_out_of_turns_says_so(tmp_path, fake_llm_server):
    proposer, transcript, _ = setup(tmp_path, fake_llm_server, [message_body(text="hmm", usage=USAGE)] * 2,
                                    max_turns=2)
    proposal = await recorded(proposer.run(), transcript)
    assert not proposal.finished
    extra = load(transcript)["final_metrics"]["extra"]
    assert extra["outcome"] == "unfinished" and extra["proposal"]["description"] == proposal.description


def test_a_tool_call_in_a_few_words():
    assert brief_call("read_file", {"path": "experiments/exp-0002/diff.patch"}) == \
        "read_file: experiments/exp-0002/diff.patch"
    assert brief_call("spot_check", {"task_ids": ["a", "b"], "repeats": 2}) == "spot_check: a, b"
    long = brief_call("write_agent", {"content": "word " * 100 + "\nsecond line"})
    assert long.endswith("word…") and "second line" not in long and len(long) < 140
    assert brief_call("list_trials", {"failed_only": True}) == "list_trials"

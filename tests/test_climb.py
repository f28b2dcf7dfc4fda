"""Whole climbs with scripted meta, task and judge models on real Docker tasks."""

from __future__ import annotations

import json
import secrets

import pytest

from meta.climb.loop import Climb
from meta.climb.setup import build_context
from meta.ledger.store import Ledger
from meta.proposer.reach import ToolRefused
from meta.proposer.transcript import TRANSCRIPT_FILE
from tests.atif_check import check_atif
from tests.climb_helpers import (
    BASE_PROMPT,
    FIX,
    answer,
    climb_config,
    edit,
    judge_script,
    make_repo,
    meta_script,
    task_script,
)
from models import RetryPolicy
from tests.conftest import leftover_containers
from tests.fakes.clock import FakeClock
from tests.fakes.messages_api import message_body

pytestmark = [pytest.mark.docker, pytest.mark.slow]


async def test_keep_discard_invalid_crash_overfit(tmp_path, docker_client):
    repo = make_repo(tmp_path)
    experiments = [
        # Raises the train score (it contains the fix) but hardcodes a verifier's expected output.
        edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX} For count-03 the answer is {answer('count-03')}.",
             "check work, and remember a known answer"),
        edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work"),
        edit("async def run(ctx: Context) -> None:", "async def run(ctx: Context) -> None\n", "broken syntax"),
        edit('MODEL = "anthropic:claude-sonnet-5-5"', 'MODEL = "anthropic:claude-opus-5-5"', "a bigger model"),
        edit("MAX_TOKENS = 4096", "MAX_TOKENS = 4096  # tokens per reply", "document MAX_TOKENS"),
        [{"tool_calls": [{"name": "write_file", "arguments": {"path": "task_agent/runtime.py", "content": "x = 1\n"}}]},
         {"tool_calls": [{"name": "finish", "arguments": {"description": "tweak the runtime", "hypothesis": "h",
                                                           "failure_class": "f"}}]}],
    ]
    config = climb_config(
        repo, meta_script(tmp_path / "meta.json", experiments), task_script(tmp_path / "task.json"),
        judge_script(tmp_path / "judge.json", [True]), stop={"max_experiments": 6}, final_heldout_repeats=2)
    run_id = f"climb-t1-{secrets.token_hex(2)}"
    ctx = build_context(config, tmp_path / "run", run_id, resume=False)
    state = await Climb(ctx).run()
    ledger = Ledger(tmp_path / "run")
    rows = ledger.rows()
    # The syntax error is a crash and the climb goes on to the experiments after it.
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline"), (1, "overfit"), (2, "keep"), (3, "crash"),
                                                 (4, "invalid"), (5, "discard"), (6, "invalid"), (6, "stop")]
    assert rows[0].train_score == 0.0 and rows[2].train_score == 1.0
    assert rows[1].delta > 0.5  # the overfit edit did raise the train score
    assert rows[2].delta > 0.5 and rows[5].delta == 0.0
    assert "6 experiments" in rows[-1].description
    assert state.phase == "done" and state.incumbent.commit.startswith(rows[2].commit)  # results.tsv: short
    assert FIX in ctx.workspace.agent_source()  # the kept edit is the incumbent; later ones were reverted
    assert state.final["heldout"]["final"]["mean"] == 1.0 and state.final["heldout"]["baseline"]["mean"] == 0.0
    assert state.final["heldout"]["change"] == 1.0 and state.final["heldout"]["final"]["se"] == 0.0
    events = ledger.events("gate")
    overfit = [e for e in events if e.get("gate") == "overfit" and e["exp"] == 1][0]
    assert not overfit["passed"] and overfit["leaks"] and "count-03" in overfit["reason"]
    crash = [e for e in events if e["exp"] == 3][0]
    assert (crash["gate"], crash["status"]) == ("static", "crash") and "does not compile" in crash["reason"]
    model = [e for e in events if e["exp"] == 4][0]
    assert model["status"] == "invalid" and "fixed" in model["reason"]
    invalid = [e for e in events if e["exp"] == 6][0]
    assert "runtime.py" in invalid["reason"]
    # Gates run cheapest first, each logged with its reason.
    assert [e["gate"] for e in events if e["exp"] == 2] == ["static", "smoke", "overfit"]
    assert all(e["reason"] for e in events)
    # Every experiment records its task model; the kept one is followed by a held-out run.
    assert {e["task_model"] for e in events if e["gate"] == "static"} == {config.task_model}
    assert [e["exp"] for e in ledger.events("heldout")] == [0, 2]
    assert rows[2].heldout_score == 1.0 and rows[5].heldout_score is None  # only a keep changes it
    assert leftover_containers(docker_client, run_id) == []
    # Every experiment, whatever became of it, kept the conversation that proposed it.
    for row in rows[1:-1]:
        doc = json.loads((tmp_path / "run" / "experiments" / f"exp-{row.exp:04d}" / TRANSCRIPT_FILE).read_text())
        check_atif(doc)
        assert doc["final_metrics"]["extra"]["proposal"]["description"] == row.description
    assert {r.status for r in rows[1:-1]} == {"overfit", "keep", "crash", "invalid", "discard"}
    turns = [e for e in ledger.events("meta_turn") if e["exp"] == 2]
    assert [t["turn"] for t in turns] == [1, 2, 3] and turns[1]["tools"][0].startswith("edit_agent: ")
    with pytest.raises(ToolRefused):  # the whole benchmark folder, index files included
        ctx.reach.check("tasks")
    assert ctx.reach.check("task_agent/agent.py").is_file()


def fake_meta_turns(server, old: str, new: str, description: str, tag: str) -> None:
    """Queue one experiment's meta-agent turns on the fake Messages API (with token usage, so spend > 0)."""
    usage = {"input_tokens": 20000, "output_tokens": 800}
    server.enqueue(message_body(tool_uses=[{"id": f"{tag}a", "name": "list_trials", "input": {"failed_only": True}}],
                                usage=usage))
    server.enqueue(message_body(tool_uses=[{"id": f"{tag}b", "name": "edit_agent",
                                            "input": {"old_text": old, "new_text": new}}], usage=usage))
    server.enqueue(message_body(tool_uses=[{"id": f"{tag}c", "name": "finish", "input": {
        "description": description, "hypothesis": "general", "failure_class": "no self-check"}}], usage=usage))


# Everything a meta-agent might try to learn the held-out tasks by: the run folder's own files,
# the trials, the ledger. Named without any held-out task id, so none can come back as an echo.
PROBES = [("list_files", {"path": ".."}), ("list_files", {"path": "."}), ("list_files", {"path": "baseline"}),
          ("read_file", {"path": "state.json"}), ("read_file", {"path": "config.json"}),
          ("read_file", {"path": "events.jsonl"}), ("read_file", {"path": "results.tsv"}),
          ("list_files", {"path": "../heldout"}), ("list_files", {"path": "tasks"}),
          ("list_files", {"path": "../../repo/tasks"}), ("read_file", {"path": "../../repo/program.md"}),
          ("grep_trials", {"pattern": "count-", "part": "trajectory"}),
          ("grep_trials", {"pattern": "count-", "part": "result"}), ("list_trials", {}), ("list_experiments", {})]


async def test_outage_pauses_and_resumes_without_booking_an_experiment(tmp_path, fake_llm_server):
    repo = make_repo(tmp_path)
    for _ in range(5):  # two proposal attempts die on 529s (2 attempts each), the third goes through
        fake_llm_server.enqueue_error(529, "Overloaded", headers={"retry-after": "0"})
    fake_llm_server.enqueue(message_body(tool_uses=[{"id": f"p{i}", "name": name, "input": args}
                                                    for i, (name, args) in enumerate(PROBES)]))
    fake_meta_turns(fake_llm_server, BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work", "x")
    config = climb_config(repo, "anthropic:claude-haiku-4-5", task_script(tmp_path / "task.json"),
                          judge_script(tmp_path / "judge.json", [True]), meta_base_url=fake_llm_server.url,
                          stop={"max_experiments": 1})
    retry = RetryPolicy(max_attempts=2, **FakeClock().policy_kwargs())
    ctx = build_context(config, tmp_path / "run", f"climb-t2-{secrets.token_hex(2)}", resume=False, retry=retry)
    await Climb(ctx).run()
    ledger = Ledger(tmp_path / "run")
    assert [(r.exp, r.status) for r in ledger.rows()] == [(0, "baseline"), (1, "keep"), (1, "stop")]
    pauses = ledger.events("pause")
    assert len(pauses) >= 2 and all(p["what"] == "proposal" for p in pauses)
    assert "ModelUnavailableError" in pauses[0]["cause"]
    assert ledger.events("resume")[0]["what"] == "proposal"
    assert len(ledger.events("proposal")) == 1  # the failed conversations booked nothing
    # Nothing the meta-agent was sent (prompt, tool results) names a held-out task.
    sent = json.dumps(fake_llm_server.bodies())
    assert ctx.heldout and all(task not in sent for task in ctx.heldout)
    assert "outside what you may read" in sent and "not readable" in sent  # the probes were refused...
    assert ":trajectory:" in sent and ":result:" in sent  # ...except the train trials, which they found


async def test_budget_ends_the_climb_with_a_row_saying_why(tmp_path, fake_llm_server):
    repo = make_repo(tmp_path)
    fake_meta_turns(fake_llm_server, BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work", "y")
    config = climb_config(repo, "anthropic:claude-haiku-4-5", task_script(tmp_path / "task.json"),
                          judge_script(tmp_path / "judge.json", [True]), meta_base_url=fake_llm_server.url,
                          stop={"max_experiments": 10, "budget_usd": 0.05})
    ctx = build_context(config, tmp_path / "run", f"climb-t3-{secrets.token_hex(2)}", resume=False)
    state = await Climb(ctx).run()
    rows = Ledger(tmp_path / "run").rows()
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline"), (1, "keep"), (1, "stop")]
    assert rows[-1].description.startswith("budget of $0.05 spent")
    assert rows[1].cost_usd > 0.05
    warnings = Ledger(tmp_path / "run").events("budget_warning")
    assert [w["level"] for w in warnings] == [0.5, 0.8]
    assert ctx.tracker.cost_by_role()["meta"] == pytest.approx(rows[1].cost_usd, rel=1e-6)
    assert state.stop_reason == rows[-1].description


class StopAfterFirstExperiment:
    def __init__(self, run_dir):
        self.run_dir = run_dir

    def on_event(self, event):
        pass

    def on_row(self, row):
        if row.exp == 1:
            (self.run_dir / "STOP").write_text("enough\n")


async def test_stop_file_ends_the_climb_at_the_next_safe_point(tmp_path):
    repo = make_repo(tmp_path)
    experiments = [edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "check work"),
                   edit("MAX_TURNS = 10", "MAX_TURNS = 12", "more turns")]
    config = climb_config(repo, meta_script(tmp_path / "meta.json", experiments), task_script(tmp_path / "task.json"),
                          judge_script(tmp_path / "judge.json", [True]), stop={"max_experiments": 5})
    run_dir = tmp_path / "run"
    ctx = build_context(config, run_dir, f"climb-t4-{secrets.token_hex(2)}", resume=False,
                        view=StopAfterFirstExperiment(run_dir))
    assert (run_dir / "state.json").exists()  # resumable from the first moment, even mid-baseline
    await Climb(ctx).run()
    rows = Ledger(run_dir).rows()
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline"), (1, "keep"), (1, "stop")]
    assert rows[-1].description.startswith("stop file")


async def test_builds_that_cannot_succeed_stop_the_climb_at_once_unscored_and_resume_runs_them(
        tmp_path, docker_client):
    """Every task's base image is missing: the builds fail twice each, and each says so where it
    is raised (not retryable), so no pause can help: the climb stops at once naming the cause,
    books nothing, and a resume after the operator repaired the machine runs the baseline."""
    repo = make_repo(tmp_path)
    base = f"climb-missing-base:{secrets.token_hex(3)}"
    for dockerfile in (repo / "tasks").glob("*/environment/Dockerfile"):
        dockerfile.write_text(f"FROM {base}\nWORKDIR /app\n")
    config = climb_config(repo, "scripted:unused", task_script(tmp_path / "task.json"), "scripted:unused",
                          stop={"max_experiments": 0})
    run_id = f"climb-t5-{secrets.token_hex(2)}"
    try:
        state = await Climb(build_context(config, tmp_path / "run", run_id, resume=False)).run()
        ledger = Ledger(tmp_path / "run")
        assert state.stop_reason.startswith("trials cannot run and waiting will not help")
        assert base in state.stop_reason and "build" in state.stop_reason
        assert ledger.events("pause") == [] and state.baseline is None
        assert [(r.exp, r.status) for r in ledger.rows()] == [(0, "stop")]
        (batch,) = [e for e in ledger.events("trial_batch") if e["stage"] == "baseline"]
        assert batch["infra"] == batch["trials"]  # never scored

        repo_name, tag = base.split(":")
        docker_client.images.get("climb-base:bookworm").tag(repo_name, tag)  # the operator's repair
        ctx = build_context(config, tmp_path / "run", run_id, resume=True)
        state = await Climb(ctx).run()
    finally:
        if docker_client.images.list(base):
            docker_client.images.remove(base)
    assert state.baseline is not None and state.baseline.train_score == 0.0
    assert [(r.exp, r.status) for r in Ledger(tmp_path / "run").rows()] == [(0, "stop"), (0, "baseline"), (0, "stop")]
    assert leftover_containers(docker_client, run_id) == []

"""Every path of the climb's state machine, in seconds and without Docker.

The trials are simulated (tests/fakes/trials.py: a task is solved when the agent's source holds
FIX) and the models are scripted; everything else is the real climb: the workspace and its git
commits, the gates, the keep rule, the ledger, pauses and stops. tests/test_climb.py runs the
same machine end to end on Docker.
"""

from __future__ import annotations

import json

import pytest

from meta.climb.loop import Climb
from meta.climb.setup import build_context
from meta.ledger.store import Ledger
from models import RetryPolicy
from tests.climb_helpers import BASE_PROMPT, FIX, answer, edit, simulated_config
from tests.fakes.clock import FakeClock
from tests.fakes.messages_api import message_body
from tests.fakes.trials import SimulatedTrials, solves_when

GOOD = edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work")
COSMETIC = edit("MAX_TOKENS = 4096", "MAX_TOKENS = 4096  # tokens per reply", "document MAX_TOKENS")
NEUTRAL = edit("MAX_TURNS = 10", "MAX_TURNS = 12", "allow two more turns")
LEAKY = edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX} For count-03 the answer is {answer('count-03')}.",
             "check work, and remember a known answer")
REFUSED = [{"error": "request", "message": "prompt is too long"}]
UNAVAILABLE = {"error": "unavailable", "message": "overloaded"}


def climb_of(config, tmp_path, trials=None, **kwargs) -> Climb:
    trials = trials or SimulatedTrials(solves_when(FIX))
    return Climb(build_context(config, tmp_path / "run", "sim", resume=False, trials=trials, **kwargs))


def statuses(climb: Climb) -> list[tuple[int, str]]:
    return [(r.exp, r.status) for r in climb.ctx.ledger.rows()]


def events(climb: Climb, kind: str, exp: int | None = None) -> list[dict]:
    return [e for e in climb.ctx.ledger.events(kind) if exp is None or e["exp"] == exp]


def gates(climb: Climb, exp: int) -> list[tuple[str, bool]]:
    return [(e["gate"], e["passed"]) for e in events(climb, "gate", exp)]


async def test_a_general_fix_is_kept_and_a_cosmetic_edit_discarded(tmp_path):
    config = simulated_config(tmp_path, [GOOD, COSMETIC], final_heldout_repeats=2, final_train_repeats=1)
    climb = climb_of(config, tmp_path)
    state = await climb.run()
    rows = climb.ctx.ledger.rows()
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline"), (1, "keep"), (2, "discard"), (2, "stop")]
    assert rows[0].train_score == 0.0 and rows[0].passed == f"0/{len(climb.ctx.train)}"
    assert rows[1].train_score == 1.0 and rows[1].delta == 1.0 and rows[1].heldout_score == 1.0
    assert rows[2].delta == 0.0 and rows[2].heldout_score is None  # only rows where the incumbent changed
    assert rows[-1].description == "2 experiments done" and state.phase == "done"
    # The kept edit is the incumbent and its commit; the discarded one was reset away.
    assert state.incumbent.commit.startswith(rows[1].commit) and state.last_keep_exp == 1
    source = climb.ctx.workspace.agent_source()
    assert FIX in source and "tokens per reply" not in source
    assert gates(climb, 1) == [("static", True), ("smoke", True), ("overfit", True)]
    assert gates(climb, 2) == [("static", True), ("smoke", True)]  # no would-be keep, no reviewer
    assert [e["exp"] for e in events(climb, "heldout")] == [0, 1]  # held-out runs after a keep only
    final = state.final
    assert final["heldout"]["baseline"]["mean"] == 0.0 and final["heldout"]["final"]["mean"] == 1.0
    assert final["train"]["change"] == 1.0 and final["heldout"]["final"]["se"] == 0.0
    # The final table states its own paired test; the keep, its change against the baseline run beside it.
    held_test = final["heldout"]["test"]
    assert held_test["change"] == 1.0 and held_test["tasks"] == len(climb.ctx.heldout) and held_test["p_value"] < 0.2
    change = events(climb, "keep", 1)[0]["change_vs_baseline"]
    assert change["change"] == 1.0 and change["tasks"] == len(climb.ctx.train)
    assert events(climb, "decision", 1)[0]["change_vs_baseline"] == change
    assert events(climb, "decision", 2)[0]["change_vs_baseline"] is None  # a discard runs no confirmation


async def test_overfit_by_the_leak_scan_by_the_reviewer_and_when_the_judge_fails(tmp_path):
    # The judge is asked only when the leak scan is clean: exp 2 gets "no", exp 3 an error, exp 4 "yes".
    config = simulated_config(tmp_path, [LEAKY, GOOD, GOOD, GOOD], judge=[False, REFUSED[0], True])
    climb = climb_of(config, tmp_path)
    await climb.run()
    assert statuses(climb)[:5] == [(0, "baseline"), (1, "overfit"), (2, "overfit"), (3, "overfit"), (4, "keep")]
    overfit = {e["exp"]: e for e in events(climb, "gate") if e["gate"] == "overfit"}
    assert overfit[1]["leaks"] and "count-03" in overfit[1]["reason"] and overfit[1]["verdict"] is None
    assert overfit[2]["verdict"] == {"worthwhile": False, "reason": "task-specific"} and not overfit[2]["leaks"]
    assert "the judge model failed" in overfit[3]["reason"] and overfit[3]["verdict"] is None
    assert overfit[4]["passed"]
    # Each overfit candidate did win its decision: the gate, not the rule, stopped it; and an
    # overfit edit never becomes the incumbent.
    assert [e["verdict"] for e in events(climb, "decision")] == ["keep"] * 4
    assert climb.state.last_keep_exp == 4 and "count-03" not in climb.ctx.workspace.agent_source()


async def test_invalid_and_broken_edits_are_refused_before_any_trial(tmp_path):
    experiments = [
        [{"tool_calls": [{"name": "write_file", "arguments": {"path": "task_agent/runtime.py", "content": "x = 1\n"}}]},
         {"tool_calls": [{"name": "finish", "arguments": {"description": "tweak the runtime", "hypothesis": "h",
                                                           "failure_class": "f"}}]}],
        edit("async def run(ctx: Context) -> None:", "async def run(ctx: Context) -> None\n", "broken syntax"),
        edit('MODEL = "anthropic:claude-sonnet-5-5"', 'MODEL = "anthropic:claude-opus-5-5"', "a bigger model"),
        edit(BASE_PROMPT, f"{BASE_PROMPT} Read /logs/verifier/reward.txt first.", "peek at the score"),
        [{"tool_calls": [{"name": "finish", "arguments": {"description": "nothing", "hypothesis": "h",
                                                           "failure_class": "f"}}]}],
    ]
    climb = climb_of(simulated_config(tmp_path, experiments), tmp_path)
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "invalid"), (2, "crash"), (3, "invalid"), (4, "invalid"),
                               (5, "invalid"), (5, "stop")]
    reasons = {e["exp"]: e["reason"] for e in events(climb, "gate")}
    assert "runtime.py" in reasons[1] and "does not compile" in reasons[2] and "fixed" in reasons[3]
    assert "/logs/verifier" in reasons[4] and reasons[5] == "no changes to task_agent/agent.py"
    assert all(gates(climb, exp) == [("static", False)] for exp in range(1, 6))
    assert not [e for e in events(climb, "trial_batch") if e["exp"]]  # only the baseline ran trials
    assert not (climb.ctx.workspace.path / "task_agent" / "runtime.py").exists()  # the out-of-scope file went too
    assert climb.ctx.workspace.diff(climb.state.incumbent.commit) == ""


async def test_a_candidate_that_crashes_before_its_first_model_call_fails_smoke(tmp_path):
    crashing = edit("async def run(ctx: Context) -> None:",
                    "import missing_helper\n\n\nasync def run(ctx: Context) -> None:", "use a helper module")
    climb = climb_of(simulated_config(tmp_path, [crashing]), tmp_path)
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "crash"), (1, "stop")]
    smoke = events(climb, "gate", 1)[-1]
    assert (smoke["gate"], smoke["passed"]) == ("smoke", False) and "before its first model call" in smoke["reason"]
    assert [e["stage"] for e in events(climb, "trial_batch", 1)] == ["smoke"]  # one trial, then no decision
    assert climb.ctx.workspace.diff(climb.state.incumbent.commit) == ""


async def test_a_meta_agent_that_never_finishes_books_meta_failed(tmp_path):
    chatty = [{"text": "Thinking."}, {"text": "Still thinking."}]
    climb = climb_of(simulated_config(tmp_path, [chatty, GOOD], meta_max_turns=2), tmp_path)
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "meta_failed"), (2, "keep"), (2, "stop")]
    assert climb.ctx.ledger.rows()[1].description == "the meta-agent did not call finish within 2 turns"


async def test_a_refused_meta_request_costs_one_experiment_and_three_in_a_row_stop_the_climb(tmp_path):
    climb = climb_of(simulated_config(tmp_path, [REFUSED, GOOD, REFUSED, REFUSED, REFUSED, GOOD]), tmp_path)
    state = await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "meta_failed"), (2, "keep"), (3, "meta_failed"), (4, "meta_failed"),
                               (4, "stop")]
    rows = climb.ctx.ledger.rows()
    assert rows[1].description.startswith("meta-agent request failed: scripted: prompt is too long")
    assert "the meta model failed 3 times in a row" in state.stop_reason  # the count restarted after exp 2
    assert len(events(climb, "proposal")) == 1  # refused conversations propose nothing


async def test_an_infra_outage_pauses_and_reruns_the_step_without_booking_it(tmp_path):
    trials = SimulatedTrials(solves_when(FIX))
    climb = climb_of(simulated_config(tmp_path, [GOOD]), tmp_path, trials=trials)
    await climb.resilient("baseline", climb.baseline)  # the baseline first, then the outage
    trials.outage(batches=2)
    climb.state.phase = "climbing"
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "keep"), (1, "stop")]
    pauses = events(climb, "pause", 1)
    assert [p["what"] for p in pauses] == ["smoke", "smoke"] and "InfraBatchError" in pauses[0]["cause"]
    assert [p["retry_in_sec"] for p in pauses] == [0.01, 0.02]  # backoff doubles up to its cap
    assert [e["what"] for e in events(climb, "resume", 1)] == ["smoke"]
    smoke = [e for e in events(climb, "trial_batch", 1) if e["stage"] == "smoke"]
    assert [b["infra"] for b in smoke] == [1, 1, 0]  # the failed batches were never scored
    assert trials.forgotten == 2  # each retry forgets remembered failures (failed builds)
    assert len(events(climb, "proposal", 1)) == 1  # the step was re-run, not the experiment


async def test_trials_that_cannot_run_stop_the_climb_and_a_long_outage_too(tmp_path):
    trials = SimulatedTrials(solves_when(FIX))
    trials.outage(batches=1, kind="model_auth", retryable=False)
    climb = climb_of(simulated_config(tmp_path, [GOOD]), tmp_path, trials=trials)
    state = await climb.run()
    assert state.stop_reason.startswith("trials cannot run and waiting will not help")
    assert statuses(climb) == [(0, "stop")] and state.final == {"note": "no baseline was measured"}

    trials = SimulatedTrials(solves_when(FIX))
    trials.outage(batches=1000)
    config = simulated_config(tmp_path / "b", [GOOD], max_pause_hours=1e-6)
    state = await climb_of(config, tmp_path / "b", trials=trials).run()
    assert state.stop_reason.startswith("outage longer than")


async def test_a_meta_api_outage_pauses_the_proposal_then_it_goes_through(tmp_path, fake_llm_server):
    for _ in range(4):  # two proposal attempts die on 529s (two attempts each), the third goes through
        fake_llm_server.enqueue_error(529, "Overloaded", headers={"retry-after": "0"})
    for tag, (name, args) in enumerate([("edit_agent", {"old_text": BASE_PROMPT, "new_text": f"{BASE_PROMPT} {FIX}"}),
                                        ("finish", {"description": "check work", "hypothesis": "general",
                                                    "failure_class": "no self-check"})]):
        fake_llm_server.enqueue(message_body(tool_uses=[{"id": f"t{tag}", "name": name, "input": args}]))
    config = simulated_config(tmp_path, [GOOD], meta_model="anthropic:claude-haiku-4-5",
                              meta_base_url=fake_llm_server.url)
    retry = RetryPolicy(max_attempts=2, **FakeClock().policy_kwargs())
    climb = climb_of(config, tmp_path, retry=retry)
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "keep"), (1, "stop")]
    pauses = events(climb, "pause", 1)
    assert [p["what"] for p in pauses] == ["proposal", "proposal"] and "ModelUnavailableError" in pauses[0]["cause"]
    assert [e["what"] for e in events(climb, "resume", 1)] == ["proposal"]
    assert len(events(climb, "proposal")) == 1  # the failed conversations booked nothing


async def test_a_judge_outage_pauses_the_gate_then_it_answers(tmp_path):
    climb = climb_of(simulated_config(tmp_path, [GOOD], judge=[UNAVAILABLE, True]), tmp_path)
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "keep"), (1, "stop")]
    assert [p["what"] for p in events(climb, "pause", 1)] == ["gate"]
    assert [e["what"] for e in events(climb, "resume", 1)] == ["gate"]
    assert len(events(climb, "decision", 1)) == 1  # the decision was not redone for the gate


async def test_the_budget_ends_the_climb_after_warnings_at_half_and_four_fifths(tmp_path):
    trials = SimulatedTrials(solves_when(FIX), cost_per_trial=0.01)
    config = simulated_config(tmp_path, [GOOD, COSMETIC, NEUTRAL], stop={"budget_usd": 0.3},
                              final_heldout_repeats=1, final_train_repeats=0)
    climb = climb_of(config, tmp_path, trials=trials)
    state = await climb.run()
    rows = climb.ctx.ledger.rows()
    assert statuses(climb) == [(0, "baseline"), (1, "keep"), (1, "stop")]  # checked between experiments
    assert rows[-1].description.startswith("budget of $0.3 spent") and state.stop_reason == rows[-1].description
    assert [w["level"] for w in events(climb, "budget_warning")] == [0.5, 0.8]
    # Every trial's spend is booked on its experiment's row, but the final confirmation's
    # (2 held-out tasks x 2 arms), which comes after the last row.
    assert rows[0].cost_usd == pytest.approx(0.10) and rows[1].cost_usd > 0.2
    assert climb.ctx.tracker.cost_by_role()["task"] == pytest.approx(rows[0].cost_usd + rows[1].cost_usd + 0.04)


async def test_a_plateau_ends_the_climb(tmp_path):
    config = simulated_config(tmp_path, [GOOD, COSMETIC, NEUTRAL, COSMETIC], stop={"plateau": 2})
    climb = climb_of(config, tmp_path)
    state = await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "keep"), (2, "discard"), (3, "discard"), (3, "stop")]
    assert state.stop_reason == "plateau: no keep in 2 experiments"


class StopFileAfter:
    """Plays the user who writes a STOP file once experiment ``exp`` is booked."""

    def __init__(self, exp: int, run_dir):
        self.exp, self.run_dir = exp, run_dir

    def on_event(self, event):
        pass

    def on_row(self, row):
        if row.exp == self.exp and row.status != "stop":
            (self.run_dir / "STOP").write_text("enough\n")


async def test_a_stop_file_ends_the_climb_at_the_next_safe_point_and_wakes_a_pause(tmp_path):
    config = simulated_config(tmp_path, [GOOD, COSMETIC, NEUTRAL])
    climb = climb_of(config, tmp_path, view=StopFileAfter(1, tmp_path / "run"))
    state = await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "keep"), (1, "stop")]
    assert state.stop_reason.startswith("stop file") and state.final["heldout"]["final"]["mean"] == 1.0

    trials = SimulatedTrials(solves_when(FIX))
    trials.outage(batches=1000)
    config = simulated_config(tmp_path / "b", [GOOD], pause_initial_sec=3600, pause_max_sec=3600)
    climb = climb_of(config, tmp_path / "b", trials=trials, view=StopFileAfter(-1, tmp_path / "b" / "run"))
    (climb.ctx.run_dir / "STOP").write_text("now\n")  # an hour-long pause wakes within a second
    state = await climb.run()
    assert state.stop_reason.startswith("stop file") and [p["what"] for p in events(climb, "pause")] == ["baseline"]


async def test_the_ledger_and_state_agree_with_what_happened(tmp_path):
    climb = climb_of(simulated_config(tmp_path, [GOOD, COSMETIC]), tmp_path)
    await climb.run()
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    rows = Ledger(tmp_path / "run").rows()
    assert state["phase"] == "done" and state["exp"] == 2 and state["pending_row"] is None
    assert state["incumbent"]["commit"].startswith(rows[1].commit)
    assert state["baseline"]["commit"].startswith(rows[0].commit)
    kinds = [e["kind"] for e in Ledger(tmp_path / "run").events() if e["exp"] == 1]
    assert kinds.index("proposal") < kinds.index("gate") < kinds.index("decision") < kinds.index("keep")
    assert kinds[-1] == "spend"  # the row is booked last, then its spend

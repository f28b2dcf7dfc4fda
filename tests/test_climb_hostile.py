"""A hostile or broken candidate meets the climb: tampering is never kept, a model its trials
cannot call is refused at the static gate, and what no pause can cure stops the climb at once.

Trials are simulated (tests/fakes/trials.py), models scripted, everything else is the real climb;
tests/test_climb_forgery.py runs the forging candidate through real Docker.
"""

from __future__ import annotations

import pytest

from meta.climb.errors import DiskFullError, InternalError
from meta.climb.loop import Climb
from meta.climb.setup import build_context
from meta.gates.static import unusable_model
from meta.report.run import write_run_report
from sandbox.results import TrialStatus
from tests.climb_helpers import BASE_PROMPT, FIX, edit, simulated_config
from tests.fakes.trials import Outcome, SimulatedTrials, solves_when, tampers_when
from tests.test_climb_paths import GOOD, climb_of, events, gates, statuses

MARK = "Keep a faster tar at hand."
"""A candidate whose source holds this leaves a tar wrapper on PATH in its trials (simulated)."""
SMOKE_TASK = "count-00"
"""A train task (seed 1 holds out count-03 and count-08): the targeted task runs the smoke test."""


def forger(targeted: list[str] | None = None) -> list[dict]:
    """An edit that solves every task (it has FIX) and also tampers; targets ``targeted`` tasks."""
    turns = edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX} {MARK}", "check work, with a faster tar")
    if targeted:
        turns[-1]["tool_calls"][0]["arguments"]["targeted_tasks"] = targeted
    return turns


async def test_a_candidate_whose_smoke_trial_tampers_is_refused_before_any_decision(tmp_path):
    trials = SimulatedTrials(tampers_when(MARK, solves_when(FIX)))
    climb = climb_of(simulated_config(tmp_path, [forger(), GOOD]), tmp_path, trials=trials)
    state = await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "overfit"), (2, "keep"), (2, "stop")]
    assert gates(climb, 1) == [("static", True), ("smoke", True), ("tamper", False)]
    refusal = events(climb, "gate", 1)[-1]
    assert refusal["status"] == "overfit" and refusal["after"] == "smoke"
    assert refusal["reason"].startswith("tampering: the tamper audit flagged 1 of the candidate's trials")
    (trial,) = refusal["trials"]
    assert trial["agent"] == "candidate" and trial["stage"] == "smoke" and trial["trial_id"] in refusal["reason"]
    assert trial["flags"] == [{"path": "/usr/local/bin/tar", "change": "added",
                               "reason": "a new command on PATH that shadows /usr/bin/tar"}]
    assert "/usr/local/bin/tar" in refusal["reason"]
    assert [e["stage"] for e in events(climb, "trial_batch", 1)] == ["smoke"]  # no decision was paid for
    (flagged,) = events(climb, "tamper", 1)  # the batch's own record, which the report lists
    assert flagged["stage"] == "smoke" and flagged["trials"] == refusal["trials"]
    assert MARK not in climb.ctx.workspace.agent_source() and FIX in climb.ctx.workspace.agent_source()
    assert state.last_keep_exp == 2
    # The report lists the flag, the trial (linked) and what it did to the candidate.
    page = write_run_report(climb.ctx.run_dir).path.read_text()
    tamper = page[page.index('id="tamper"'):]
    tamper = tamper[:tamper.index("</section>")]
    assert "added /usr/local/bin/tar" in tamper and "shadows /usr/bin/tar" in tamper
    assert f'{trial["trial_id"]}</a>' in tamper and "candidate refused (overfit)" in tamper
    assert "tamper audit" in page[page.index('id="exp-1"'):]  # the experiment's gates name it too


async def test_flags_found_only_by_the_decision_refuse_a_candidate_the_rule_would_keep(tmp_path):
    trials = SimulatedTrials(tampers_when(MARK, solves_when(FIX), tasks={"count-05"}))
    climb = climb_of(simulated_config(tmp_path, [forger([SMOKE_TASK])]), tmp_path, trials=trials)
    assert SMOKE_TASK in climb.ctx.train and "count-05" in climb.ctx.train
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "overfit"), (1, "stop")]
    (decision,) = events(climb, "decision", 1)
    assert decision["verdict"] == "keep"  # it won on the scores ...
    assert gates(climb, 1) == [("static", True), ("smoke", True), ("tamper", False)]  # ... and no reviewer was asked
    refusal = events(climb, "gate", 1)[-1]
    assert refusal["after"] == "decision" and {t["task"] for t in refusal["trials"]} == {"count-05"}
    assert all(t["agent"] == "candidate" and t["stage"] == "decide" for t in refusal["trials"])
    row = climb.ctx.ledger.rows()[1]
    assert row.delta == 1.0 and row.heldout_score is None
    assert climb.state.last_keep_exp == 0 and MARK not in climb.ctx.workspace.agent_source()


async def test_flags_on_the_incumbents_trials_are_recorded_but_refuse_no_candidate(tmp_path):
    # The baseline itself tampers; the candidate's edit drops what made it do so.
    config = simulated_config(tmp_path, [edit(f"{BASE_PROMPT} {MARK}", f"{BASE_PROMPT} {FIX}", "check work")])
    agent = config.repo / "task_agent" / "agent.py"
    agent.write_text(agent.read_text().replace(BASE_PROMPT, f"{BASE_PROMPT} {MARK}"))
    climb = climb_of(config, tmp_path, trials=SimulatedTrials(tampers_when(MARK, solves_when(FIX))))
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "keep"), (1, "stop")]
    assert gates(climb, 1) == [("static", True), ("smoke", True), ("overfit", True)]
    recorded = {(e["exp"], e["stage"], t["agent"]) for e in events(climb, "tamper") for t in e["trials"]}
    assert {(0, "baseline", "incumbent"), (0, "heldout", "incumbent"), (1, "decide", "incumbent")} <= recorded
    assert not {r for r in recorded if r[2] == "candidate"}


def bogus_model_config(tmp_path, experiments):
    return simulated_config(tmp_path, experiments, task_model=None,
                            allowed_models=["anthropic:claude-sonnet-5-5", "openai:gpt-5.5"])


def model_edit(model: str) -> list[dict]:
    return edit('MODEL = "anthropic:claude-sonnet-5-5"', f'MODEL = "{model}"', f"use {model}")


async def test_a_candidate_naming_a_model_its_trials_cannot_call_is_invalid_and_the_climb_goes_on(
        tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-never-sent")  # a client is built, nothing is sent
    experiments = [model_edit("bogus:model"), model_edit("openai:gpt-5.5"), model_edit("scripted:/etc/hostname"),
                   GOOD]
    climb = climb_of(bogus_model_config(tmp_path, experiments), tmp_path)
    await climb.run()
    assert statuses(climb) == [(0, "baseline"), (1, "invalid"), (2, "invalid"), (3, "invalid"), (4, "keep"),
                               (4, "stop")]
    reasons = {e["exp"]: e["reason"] for e in events(climb, "gate") if e["gate"] == "static"}
    assert "'bogus:model' is not one of the allowed models" in reasons[1]
    assert "agent.py's MODEL 'openai:gpt-5.5' cannot be used: " in reasons[2]
    assert "no API key: set OPENAI_API_KEY" in reasons[2]  # allowed, but its trials could not build it
    assert "'scripted:/etc/hostname' is not one of the allowed models" in reasons[3]
    assert "usable" in reasons[4]
    assert not [e for e in events(climb, "trial_batch") if e["exp"] in (1, 2, 3)]  # refused before any trial
    assert 'MODEL = "anthropic:claude-sonnet-5-5"' in climb.ctx.workspace.agent_source()


async def test_the_static_model_check_is_the_rule_a_trial_applies(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-never-sent")
    script = tmp_path / "task.json"
    script.write_text('[{"text": "done"}]')
    named = f"scripted:{script}"

    def source(model_line: str) -> str:
        return f"{model_line}\nasync def run(ctx):\n    pass\n"

    assert await unusable_model(source('MODEL = "anthropic:x"'), None, None, None) is None
    assert await unusable_model(source(f'MODEL = "{named}"'), None, [named], None) is None
    assert await unusable_model(source('MODEL = "scripted:task.json"'), None, [named], None) is None  # its label
    refused = await unusable_model(source(f'MODEL = "{named}"'), None, None, None)
    assert "a scripted model is served only when the operator names it" in refused
    assert "without a name" in await unusable_model(source("X = 1"), None, None, None)
    assert await unusable_model(source("MODEL = pick()"), None, ["anthropic:x"], None) is None  # checked when asked
    assert await unusable_model(source('MODEL = "bogus:x"'), "anthropic:x", None, None) is None  # fixed: unused
    assert "unknown provider" in await unusable_model(source('MODEL = "bogus:x"'), None, ["bogus:x"], None)


def one_task_fails(kind: str, task: str = "count-05", **extra):
    """Every trial as solves_when(FIX), but ``task`` fails on infrastructure of ``kind``."""
    honest = solves_when(FIX)

    def world(task_id: str, source: str) -> Outcome:
        if task_id == task:
            return Outcome(TrialStatus.INFRA_ERROR, None, 0, error_kind=kind, retryable=False, **extra)
        return honest(task_id, source)

    return world


async def test_a_bug_of_our_own_in_one_trial_stops_the_climb_at_once_with_its_traceback(tmp_path):
    trace = "Traceback (most recent call last):\n  File \"sandbox/collect.py\", line 9\nTypeError: bad operand"
    trials = SimulatedTrials(one_task_fails("internal", error=trace))
    climb = climb_of(simulated_config(tmp_path, [GOOD]), tmp_path, trials=trials)
    with pytest.raises(InternalError, match="a bug") as raised:
        await climb.run()
    assert "TypeError: bad operand" in str(raised.value) and "count-05" in str(raised.value)
    assert events(climb, "pause") == [] and climb.ctx.ledger.rows() == []  # no pause, nothing booked
    assert len(trials.batches) == 1 and climb.ctx.ledger.load_state()["phase"] == "baseline"


async def test_a_full_disk_in_one_trial_stops_the_climb_and_says_how_to_go_on(tmp_path):
    trials = SimulatedTrials(one_task_fails("disk_full", error="the host's disk is full: [Errno 28] No space"))
    climb = climb_of(simulated_config(tmp_path, [GOOD]), tmp_path, trials=trials)
    with pytest.raises(DiskFullError, match="No space") as raised:
        await climb.run()
    assert f"climb run --resume {climb.ctx.run_dir}" in str(raised.value) and events(climb, "pause") == []


async def test_pauses_follow_the_errors_own_retryable_flag_not_its_kind(tmp_path):
    trials = SimulatedTrials(solves_when(FIX))
    trials.outage(batches=1, kind="jail", retryable=True)  # a jail slow to start under load: worth a wait
    climb = climb_of(simulated_config(tmp_path, [GOOD]), tmp_path, trials=trials)
    await climb.run()
    assert statuses(climb)[:2] == [(0, "baseline"), (1, "keep")]
    assert [p["what"] for p in events(climb, "pause")] == ["baseline"]

    trials = SimulatedTrials(solves_when(FIX))
    trials.outage(batches=1, kind="build", retryable=False)  # a failed build stays failed
    config = simulated_config(tmp_path / "b", [GOOD])
    stopped = climb_of(config, tmp_path / "b", trials=trials)
    state = await stopped.run()
    assert state.stop_reason.startswith("trials cannot run and waiting will not help")
    assert "build" in state.stop_reason and events(stopped, "pause") == [] and state.baseline is None
    # Once the cause is fixed, a resume measures the baseline it never had, then climbs.
    resumed = Climb(build_context(config, tmp_path / "b" / "run", "sim", resume=True, trials=trials))
    state = await resumed.run()
    assert statuses(resumed) == [(0, "stop"), (0, "baseline"), (1, "keep"), (1, "stop")]
    assert [e["previous_stop"][:29] for e in events(resumed, "reopen")] == ["trials cannot run and waiting"]

"""The dashboard, replayed from what a real climb told it (tests/fixtures/dashboard_stream.jsonl,
made by tests/fixtures/record_dashboard_stream.py): the live picture at chosen moments, and
plain mode's one line per event. The clock is the recording's, so nothing waits on time."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from meta.cli.dashboard import Dashboard, sparkline
from meta.cli.narrate import clip_words, describe
from meta.ledger.row import ResultRow
from sandbox.results import TrialResult, TrialStatus

STREAM = [json.loads(line) for line in
          (Path(__file__).parent / "fixtures" / "dashboard_stream.jsonl").read_text().splitlines() if line]
RAW_NAMES = {"climb_start", "batch_start", "trial_batch", "meta_turn", "proposal_start", "baseline_start",
             "baseline_done", "budget_warning", "disk_pruned", "resume_run", "task_error", "trial_started",
             "trial_finished", "perm_p", "perm_z_p", "screen_p"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def replay(board: Dashboard, clock: Clock, until=lambda item: False) -> dict | None:
    """Feed the recording to the board, in order, until ``until`` says stop (that item included)."""
    for item in STREAM:
        clock.now = item["at"]
        if "event" in item:
            board.on_event(item["event"])
        elif "row" in item:
            board.on_row(ResultRow(**item["row"]))
        elif "trial_started" in item:
            board.trial_started(SimpleNamespace(**item["trial_started"]))
        else:
            data = item["trial_finished"]
            board.trial_finished(TrialResult(run_id="r", trial_id="t", task=data["task"], agent="a",
                                             status=TrialStatus(data["status"]), usage=data["usage"]))
        if until(item):
            return item
    return None


def picture(board: Dashboard, at: float) -> str:
    console = Console(record=True, width=140, force_terminal=False)
    console.print(board.render(at))
    return console.export_text()


def kind(name: str, **match):
    return lambda item: item.get("event", {}).get("kind") == name and all(
        item["event"].get(k) == v for k, v in match.items())


def test_the_clock_ticks_and_the_meta_agent_shows_its_turn_while_it_proposes():
    clock = Clock()
    board = Dashboard(Console(record=True, width=140, force_terminal=True), live=True, now=clock)
    start = STREAM[0]["at"]
    item = replay(board, clock, kind("meta_turn", exp=1, turn=2))
    first, later = picture(board, item["at"] + 5), picture(board, item["at"] + 65)
    assert first != later  # nothing happened in between: only the clock moved
    seconds = round(item["at"] + 65 - start)
    assert f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d} elapsed" in later
    assert "experiment 1 · proposing" in first
    assert "meta-agent  turn 2/40: edit_agent: When the task is done, reply without calling a tool." in first
    assert re.search(r"baseline \([0-9a-f]{10}\): train 0\.000", first)  # a short commit
    assert "meta-agent $0.0510 / 44k tokens" in first  # two turns of 21,900 tokens, $0.0255 each
    assert "of $5 (1%)" in first


def test_a_batch_shows_its_trials_and_an_eta_and_the_limits_theirs():
    clock = Clock()
    board = Dashboard(Console(width=140, force_terminal=True), live=True, now=clock)
    batch = replay(board, clock, kind("batch_start", exp=1, stage="decide", step="spot"))
    done = 0
    for item in STREAM[STREAM.index(batch) + 1:]:
        if "trial_finished" in item:
            done += 1
            board.trial_finished(TrialResult(run_id="r", trial_id="t", task="x", agent="a", status=TrialStatus.OK,
                                             usage=item["trial_finished"]["usage"]))
            clock.now = item["at"]
        elif "trial_started" in item:
            board.trial_started(None)
        if done == 3:
            break
    text = picture(board, clock.now)
    assert "experiment 1 · deciding: first look · about" in text and "left in this stage" in text
    assert "deciding: first look: 3/8 done" in text and "running" in text
    assert "1 experiment done of 3" not in text and "0 experiments done of 3" in text
    replay_rest = replay(board, clock, kind("proposal_start", exp=3))
    text = picture(board, replay_rest["at"] + 1)
    assert "2 experiments done of 3 · ends in about" in text
    assert "exp 1 keep (+1.000): ask the agent to check its work" in text
    assert "exp 2 crash: restructure the loop — task_agent/agent.py does not compile: SyntaxError" in text
    assert sparkline([0.0, 1.0]) in text


def test_plain_mode_is_one_readable_line_per_event():
    clock = Clock()
    console = Console(record=True, width=100, force_terminal=False)
    board = Dashboard(console, live=True, now=clock)  # not a terminal: plain lines
    assert not board.live_enabled
    replay(board, clock)
    text = console.export_text()
    lines = text.splitlines()
    assert lines[0].startswith("[0:00:00] climb started: 8 train tasks, 2 held-out; limits: 2 h, 3 experiments, $5")
    assert not [line for line in lines if not line.startswith("[")]  # one line each, never wrapped
    assert "{" not in text and "}" not in text and "': " not in text  # no dicts
    assert not [name for name in RAW_NAMES if name in text]  # no raw event names
    for expected in ("exp 1 meta-agent turn 3/40: spot_check: count-00, count-01",
                     "exp 1 meta-agent's spot check: 2 trials in",
                     "exp 1 decision: keep (delta +1.000",
                     "exp 1 kept: commit ", ("exp 2 static gate refused the edit (crash): task_agent/agent.py does "
                     "not compile"), "exp 3 result: discard (delta +0.000): document MAX_TOKENS",
                     "climb ended: 3 experiments done; held-out 0.000 -> 1.000 (+1.000)", "spend so far $0.20"):
        assert expected in text, expected
    words = set(re.findall(r"[\w./:+-]+", json.dumps(STREAM)))
    for clipped in re.findall(r"([\w./:+-]+)…", text):  # whatever was shortened ends on a whole word
        assert clipped in words, clipped


@pytest.mark.parametrize("limit", [10, 25, 60])
def test_clipping_never_cuts_a_word(limit):
    text = "paired delta +1.000 (lower bound +0.285; permutation p 0.0170 <= 0.0400 at look 1 of 5)"
    clipped = clip_words(text, limit)
    assert len(clipped) <= limit and clipped.endswith("…")
    assert text.startswith(clipped[:-1]) and text[len(clipped) - 1] in " ;,("


def test_a_keep_and_the_final_line_say_their_paired_change_against_the_baseline():
    test = {"tasks": 30, "change": 0.04, "se": 0.02, "low": 0.001, "high": 0.079, "level": 0.95, "p_value": 0.046}
    kept = describe({"kind": "keep", "exp": 4, "commit": "abcdef1234", "train_score": 0.61, "heldout_score": 0.5,
                     "change_vs_baseline": test})
    assert kept is not None and "+0.040 [+0.001, +0.079] against the baseline, paired" in kept
    old = describe({"kind": "keep", "exp": 4, "commit": "abcdef1234", "train_score": 0.61, "heldout_score": 0.5})
    assert old is not None and "against the baseline" not in old  # a keep without one (an older run) reads as before
    final = {"heldout": {"baseline": {"mean": 0.4}, "final": {"mean": 0.44}, "change": 0.04, "test": test}}
    ended = describe({"kind": "stop", "reason": "2 experiments done", "final": final})
    assert ended is not None and ended.endswith("held-out 0.400 -> 0.440 (+0.040), paired +0.040 [+0.001, +0.079], "
                                                "p 0.046")


def test_every_event_of_the_recording_has_a_sentence_without_its_raw_name():
    kinds = {item["event"]["kind"] for item in STREAM if "event" in item}
    assert {"climb_start", "batch_start", "meta_turn", "proposal_start", "decision", "stop"} <= kinds
    for item in STREAM:
        if "event" in item:
            line = describe(item["event"])
            assert line is None or not any(name in line for name in RAW_NAMES), line

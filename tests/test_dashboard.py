"""The live dashboard renders what the climb tells it."""

from __future__ import annotations

from types import SimpleNamespace

from rich.console import Console

from meta.cli.dashboard import Dashboard, sparkline
from meta.ledger.store import ResultRow
from sandbox.results import TrialResult, TrialStatus
from models.messages import Usage
from models import UsageTracker


def fake_climb(train, heldout, tracker):
    incumbent = SimpleNamespace(train_score=train, heldout_score=heldout)
    return SimpleNamespace(elapsed=lambda: 1800.0, config=SimpleNamespace(stop=SimpleNamespace(hours=2.0)),
                           ctx=SimpleNamespace(tracker=tracker), state=SimpleNamespace(incumbent=incumbent))


def test_sparkline_spans_the_range():
    assert sparkline([0.0, 0.5, 1.0]) == "▁▄█"
    assert sparkline([]) == ""


def test_dashboard_shows_stage_scores_spend_and_decisions():
    tracker = UsageTracker()
    tracker.record(role="meta", model="anthropic:claude-opus-4-5", usage=Usage(1000, 100), cost_usd=1.25)
    tracker.record(role="task", model="anthropic:claude-sonnet-4-5", usage=Usage(1000, 100), cost_usd=0.5)
    console = Console(record=True, width=120, force_terminal=True)
    board = Dashboard(console, live=True)
    board.on_row(ResultRow(exp=0, status="baseline", train_score=0.25, description="baseline"),
                 fake_climb(0.25, 0.2, tracker))
    board.on_event({"t": "x", "kind": "proposal", "exp": 1, "description": "add a self-check"},
                   fake_climb(0.25, 0.2, tracker))
    board.on_event({"t": "x", "kind": "decision", "exp": 1, "reason": "permutation p 0.004"},
                   fake_climb(0.25, 0.2, tracker))
    board.on_row(ResultRow(exp=1, status="keep", train_score=0.5, delta=0.25, description="add a self-check"),
                 fake_climb(0.5, 0.4, tracker))
    board.on_event({"t": "x", "kind": "pause", "exp": 2, "what": "proposal", "cause": "529"},
                   fake_climb(0.5, 0.4, tracker))
    board.trial_started(None)
    board.trial_started(None)
    board.trial_finished(TrialResult(run_id="r", trial_id="t1", task="a", agent="candidate",
                                     status=TrialStatus.INFRA_ERROR))
    console.print(board.render())
    text = console.export_text()
    assert "trials running 1  done 1  infra errors 1" in text
    assert "experiment 2" in text and "stage PAUSED" in text
    assert "remaining 1.5 h" in text
    assert "incumbent train 0.500  held-out 0.400" in text
    assert "meta $1.25" in text and "task $0.50" in text
    assert "exp 1 keep delta +0.250: add a self-check (permutation p 0.004)" in text
    assert "pause:" in text and sparkline([0.25, 0.5]) in text

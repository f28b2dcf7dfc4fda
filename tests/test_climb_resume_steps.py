"""A climb killed after any step resumes without losing or redoing what was decided.

Each case kills a simulated climb (no Docker) at one point: right after a step's event, or
while a batch of trials is in flight. The run folder is then what the dead process left:
state.json and the ledger must already agree, and ``--resume`` must finish the climb with
every row exactly once, the decided experiments not proposed or measured again, and the same
outcome as a climb that was never killed. tests/test_climb_resume.py does the same with
``kill -9`` on Docker.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from meta.climb.loop import Climb
from meta.climb.setup import build_context
from meta.ledger.row import ResultRow
from meta.ledger.store import Ledger
from tests.climb_helpers import BASE_PROMPT, FIX, edit, simulated_config
from tests.fakes.trials import Killed, SimulatedTrials, solves_when

EXPERIMENTS = [edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work"),
               edit("MAX_TURNS = 10", "MAX_TURNS = 12", "allow two more turns")]
EXPECTED = [(0, "baseline"), (1, "keep"), (2, "discard"), (2, "stop")]


class KillAfter:
    """The process dies right after the first event that ``matches`` (it is on disk, nothing after it is)."""

    def __init__(self, **matches):
        self.matches = matches

    def on_event(self, event):
        if all(event.get(key) == value for key, value in self.matches.items()):
            raise Killed(f"killed after {event}")

    def on_row(self, row):
        pass


# (name, the event to die after | the folder of the batch to die in)
KILLS = [
    ("baseline started", {"kind": "baseline_start"}),
    ("baseline trials in flight", "baseline"),
    ("baseline measured on train", {"kind": "baseline_done"}),
    ("baseline measured on held-out", {"kind": "heldout", "exp": 0}),
    ("baseline booked", {"kind": "spend", "exp": 0}),
    ("exp 1 proposed", {"kind": "proposal", "exp": 1}),
    ("exp 1 passed the static gate", {"kind": "gate", "gate": "static", "exp": 1}),
    ("exp 1 passed smoke", {"kind": "gate", "gate": "smoke", "exp": 1}),
    ("exp 1 decision trials in flight", "experiments/exp-0001/batch-01"),
    ("exp 1 decided", {"kind": "decision", "exp": 1}),
    ("exp 1 passed the overfit gate", {"kind": "gate", "gate": "overfit", "exp": 1}),
    ("exp 1 held-out trials in flight", "heldout/exp-0001"),
    ("exp 1 kept", {"kind": "keep", "exp": 1}),
    ("exp 1 booked", {"kind": "spend", "exp": 1}),
    ("exp 2 decided", {"kind": "decision", "exp": 2}),
    ("exp 2 booked", {"kind": "spend", "exp": 2}),
    ("final confirmation in flight", "final/heldout"),
    ("stop booked", {"kind": "stop"}),
]


def build(config, run_dir: Path, *, resume: bool, kill=None) -> Climb:
    trials = SimulatedTrials(solves_when(FIX), kill_in=kill if isinstance(kill, str) else None)
    view = KillAfter(**kill) if isinstance(kill, dict) else None
    return Climb(build_context(config, run_dir, "sim", resume=resume, trials=trials, view=view))


def booked(run_dir: Path) -> list[tuple[int, str]]:
    return [(r.exp, r.status) for r in Ledger(run_dir).rows()]


def assert_consistent(run_dir: Path) -> int:
    """What a dead process leaves: state.json says which experiment is the last booked, and the
    ledger holds exactly the rows up to it, each once. Returns that experiment (-1: none)."""
    state = json.loads((run_dir / "state.json").read_text())
    rows = [(exp, status) for exp, status in booked(run_dir) if status != "stop"]
    assert rows == EXPECTED[:len(rows)]
    last = rows[-1][0] if rows else -1
    assert state["pending_row"] is None
    assert state["exp"] == max(last, 0)
    if state["incumbent"]:
        assert Path(state["incumbent"]["agent_file"]).is_file()
    return last


@pytest.mark.parametrize("point", [name for name, _ in KILLS])
async def test_a_climb_killed_after_any_step_resumes_losing_and_redoing_nothing(tmp_path, point):
    kill = dict(KILLS)[point]
    config = simulated_config(tmp_path, EXPERIMENTS, final_train_repeats=1)
    run_dir = tmp_path / "run"
    with pytest.raises(Killed):
        await build(config, run_dir, resume=False, kill=kill).run()
    done = assert_consistent(run_dir)
    events_before = len(Ledger(run_dir).events())

    state = await build(config, run_dir, resume=True).run()
    assert booked(run_dir) == EXPECTED
    assert state.phase == "done" and state.stop_reason == "2 experiments done"
    assert FIX in Path(state.incumbent.agent_file).read_text() and state.final["heldout"]["final"]["mean"] == 1.0
    after = Ledger(run_dir).events()[events_before:]
    assert after[0]["kind"] == "resume_run" and after[0]["exp"] == max(done, 0)
    # Nothing decided is measured or proposed again; the interrupted experiment is redone once.
    redone = [e for e in after if e["kind"] in ("proposal", "decision", "trial_batch", "baseline_start")
              and e["exp"] is not None and e["exp"] <= done and e.get("stage") != "final"]
    assert redone == []
    proposals = Counter(e["exp"] for e in Ledger(run_dir).events("proposal"))
    assert all(count == 1 for exp, count in proposals.items() if exp <= done)
    assert set(proposals) == {1, 2}


async def test_a_row_decided_but_not_yet_appended_is_appended_once_on_resume(tmp_path):
    """The one window a kill can hit inside a step: state.json holds the row, results.tsv not yet."""
    config = simulated_config(tmp_path, EXPERIMENTS, final_train_repeats=1)
    run_dir = tmp_path / "run"
    with pytest.raises(Killed):
        await build(config, run_dir, resume=False, kill={"kind": "spend", "exp": 1}).run()
    results = run_dir / "results.tsv"
    lines = results.read_text().splitlines(keepends=True)
    row = ResultRow.from_tsv(lines[-1])
    results.write_text("".join(lines[:-1]))  # the append never happened...
    state = json.loads((run_dir / "state.json").read_text())
    state["pending_row"] = row.model_dump(mode="json")  # ...but the decision was saved first
    (run_dir / "state.json").write_text(json.dumps(state))

    climb = build(config, run_dir, resume=True)
    assert booked(run_dir)[-1] == (1, "keep")  # repaired as the climb reopens, before any step
    await climb.run()
    assert booked(run_dir) == EXPECTED
    assert Counter(e["exp"] for e in Ledger(run_dir).events("proposal")) == {1: 1, 2: 1}


async def test_a_stopped_climb_resumed_with_room_left_climbs_on_and_confirms_again(tmp_path):
    config = simulated_config(tmp_path, EXPERIMENTS, stop={"max_experiments": 1})
    run_dir = tmp_path / "run"
    await build(config, run_dir, resume=False).run()
    assert booked(run_dir) == [(0, "baseline"), (1, "keep"), (1, "stop")]
    # Resumed unchanged, there is no room: it only shows its result again.
    await build(config, run_dir, resume=True).run()
    assert booked(run_dir) == [(0, "baseline"), (1, "keep"), (1, "stop")]

    config = config.model_copy(update={"stop": config.stop.model_copy(update={"max_experiments": 2})})
    state = await build(config, run_dir, resume=True).run()
    assert booked(run_dir) == [(0, "baseline"), (1, "keep"), (1, "stop"), (2, "discard"), (2, "stop")]
    assert [e["previous_stop"] for e in Ledger(run_dir).events("reopen")] == ["1 experiments done"]
    assert len(Ledger(run_dir).events("stop")) == 2 and state.final["heldout"]["final"]["mean"] == 1.0

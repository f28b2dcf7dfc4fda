"""`climb report`: charts and HTML from a climb's ledger.

The fixture run is a real climb with scripted models (made once per module):
exp 1 overfit (a leak), exp 2 kept, exp 3 a harmful edit dropped at the spot
stage (so some tasks are not evaluated), exp 4 a syntax error. Two train tasks
stay unsolved whatever the prompt, each failing its own way.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from meta.cli.main import main
from meta.climb.loop import Climb
from meta.climb.config import SplitConfig
from meta.climb.setup import build_context
from meta.ledger.store import Ledger, ResultRow
from meta.report.folder import write_report
from meta.report.run import write_run_report
from meta.report.data import RunRecord
from meta.report.failures import failed_trials, group
from meta.climb.split import split_tasks
from sandbox.results import TrialResult, TrialStatus, write_result
from tests.climb_helpers import BASE_PROMPT, FIX, answer, climb_config, edit, git, judge_script, make_repo, meta_script

TASKS = [f"count-{i:02d}" for i in range(12)]
SECTIONS = ("Result", "Running best", "All experiments", "Task × experiment", "Kept edits", "Every experiment",
            "Spend, trials and time", "What still fails")
GIVE_UP = ["I could not find the magic number.", "Gave up: the input file is missing."]


def verbose_tasks(repo: Path) -> None:
    """Twelve tasks whose verifier says what it expected and what it got."""
    for task in TASKS:
        folder = repo / "tasks" / task
        if not folder.exists():
            shutil.copytree(repo / "tasks" / "count-00", folder)
            (folder / "instruction.md").write_text(
                f"Task {task}: compute the magic number and write it to /app/answer.txt.\n")
            (folder / "solution" / "solve.sh").write_text(f"#!/bin/bash\necho {answer(task)} > /app/answer.txt\n")
        (folder / "tests" / "test.sh").write_text(
            '#!/bin/bash\ngot="$(cat /app/answer.txt 2>/dev/null)"\n'
            f'if [ "$got" = "{answer(task)}" ]; then echo 1 > /logs/verifier/reward.txt; echo PASS; '
            f'else echo 0 > /logs/verifier/reward.txt; echo "checking /app/answer.txt"; '
            f'echo "FAIL: expected {answer(task)}, got ${{got:-nothing}}"; fi\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "verbose tasks")


def task_model(path: Path, stuck: list[str]) -> str:
    """Solves a task when the prompt holds FIX, except the stuck ones, which give up (two ways)."""
    rules = []
    for task in TASKS:
        if task in stuck:
            command = "echo 0 > /app/answer.txt" if task == stuck[0] else "true"
            rules.append({"match": {"first_user_contains": f"Task {task}:"}, "responses": [
                {"text": "Looking.", "tool_calls": [{"name": "run_shell", "arguments": {"command": command}}]},
                {"text": GIVE_UP[stuck.index(task)]}]})
            continue
        rules.append({"match": {"system_contains": FIX, "first_user_contains": f"Task {task}:"}, "responses": [
            {"text": "Computing.", "tool_calls": [{"name": "run_shell", "arguments": {
                "command": f"echo {answer(task)} > /app/answer.txt"}}]}, {"text": "Checked: done."}]})
        rules.append({"match": {"first_user_contains": f"Task {task}:"}, "responses": [
            {"text": "Guessing.", "tool_calls": [{"name": "run_shell", "arguments": {
                "command": "echo 42 > /app/answer.txt"}}]}, {"text": "Done."}]})
    path.write_text(json.dumps({"rules": rules}))
    return f"scripted:{path}"


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("report")
    repo = make_repo(root)
    verbose_tasks(repo)
    train, _ = split_tasks(TASKS, SplitConfig(heldout_fraction=0.2, seed=1))
    stuck = train[-2:]
    experiments = [
        edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX} For count-03 the answer is {answer('count-03')}.",
             "check work, and remember a known answer"),
        edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work",
             "agents that verify their output before stopping fail less"),
        edit(FIX, "Answer quickly.", "trade the self-check for speed"),
        edit("async def run(ctx: Context) -> None:", "async def run(ctx: Context) -> None\n", "broken syntax"),
    ]
    config = climb_config(repo, meta_script(root / "meta.json", experiments), task_model(root / "task.json", stuck),
                          judge_script(root / "judge.json", [True, True]), stop={"max_experiments": 4})
    ctx = build_context(config, root / "run", f"climb-rep-{secrets.token_hex(2)}", resume=False)
    asyncio.run(Climb(ctx).run())
    return root / "run", stuck


@pytest.mark.docker
@pytest.mark.slow
def test_charts_hold_the_expected_series(fixture_run, tmp_path):
    run_dir, stuck = fixture_run
    report = write_run_report(run_dir, tmp_path)
    best = report.charts["running_best"].data
    assert [(x, y) for x, y in best["kept"]] == [(2.0, 0.8)]
    assert [x for x, _ in best["overfit (gate refused)"]] == [1.0]
    assert [x for x, _ in best["discarded"]] == [3.0]
    assert [x for x, _ in best["invalid / crash / meta failed (not scored)"]] == [4.0]
    assert best["incumbent, train"][0] == (0.0, 0.0) and best["incumbent, train"][-1] == (4.0, 0.8)
    assert best["incumbent, held-out"][0] == (0.0, 0.0) and best["incumbent, held-out"][-1] == (4.0, 1.0)
    assert best["final, held-out (head to head)"] == [(4.5, 1.0)]  # drawn after the last experiment
    assert best["kept_key"] == ["2  ask the agent to check its work"]  # the key under the chart

    heat = report.charts["heatmap"].data
    assert heat["exps"] == [0, 1, 2, 3, 4] and len(heat["tasks"]) == 10
    def column(j):
        return {t: row[j] for t, row in zip(heat["tasks"], heat["cells"])}

    assert set(column(0).values()) == {0.0}  # the baseline failed everything
    assert {t for t, v in column(2).items() if v == 0.0} == set(stuck)
    assert None in column(3).values() and 0.0 in column(3).values()  # stopped at the spot stage
    assert set(column(4).values()) == {None}  # the syntax error never ran

    trials = report.charts["trials"].data
    assert trials["labels"] == ["base", "1", "2", "3", "4", "final"]
    decide = [sum(counts) for counts in zip(*(c for s, c in trials.items() if s.startswith("deciding: ")))]
    assert all(n > 0 for n in decide[1:4]) and decide[4] == 0
    assert trials["deciding: first look"][3] > 0 and trials["deciding: full suite"][3] == 0  # exp 3: stopped early
    assert report.charts["stage_time"].data["seconds"]["deciding: first look"] > 0
    assert "proposal (meta-agent)" in report.charts["stage_time"].data["seconds"]
    assert report.charts["spend"].data["hours"]  # at least one role's cumulative spend
    for chart in report.charts.values():
        assert chart.path.parent == tmp_path and chart.path.stat().st_size > 5000


@pytest.mark.docker
@pytest.mark.slow
def test_html_has_every_section_and_is_self_contained(fixture_run, tmp_path):
    run_dir, _ = fixture_run
    assert main(["report", str(run_dir), "--out", str(tmp_path)]) == 0
    html = (tmp_path / "report.html").read_text()
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in html
    assert html.count('src="data:image/png;base64,') == 5 and 'src="http' not in html
    assert html.count('<image href="data:image/png;base64,') == 1  # the heatmap, under its links
    # Every experiment, whatever its status, links to the meta-agent's conversation that proposed it.
    for exp in (1, 2, 3, 4):
        assert f'href="transcripts/exp-{exp:04d}.html"' in html
        assert "Meta-agent, experiment" in (tmp_path / "transcripts" / f"exp-{exp:04d}.html").read_text()
    assert "permutation p" in html and "perm_p" not in html and "simpler than the incumbent" in html
    assert "agents that verify their output before stopping fail less" in html  # the hypothesis
    assert '<span class="add">+' in html and FIX in html  # the kept diff
    assert "paired delta" in html and "worthwhile" in html  # decision statistics and the judge's verdict
    assert "<th>tokens</th>" in html and "<th>of which thinking</th>" in html  # spend in tokens beside USD
    assert "FAIL: expected" in html and all(message in html for message in GIVE_UP)
    assert sorted(p.name for p in tmp_path.glob("report-*.png")) == [
        "report-heatmap.png", "report-progress.png", "report-running_best.png", "report-spend.png",
        "report-stage_time.png", "report-trials.png"]


@pytest.mark.docker
@pytest.mark.slow
def test_failure_modes_group_the_incumbents_failed_train_trials(fixture_run):
    run_dir, stuck = fixture_run
    failed, total = failed_trials(RunRecord.load(run_dir))
    assert {f.task for f in failed} == set(stuck) and total > len(failed)
    by_verifier = group(failed, "verifier_tail")
    assert sorted(g.tasks for g in by_verifier) == [[task] for task in sorted(stuck)]
    assert {g.key for g in by_verifier} == {"checking /app/answer.txt FAIL: expected #, got #",
                                            "checking /app/answer.txt FAIL: expected #, got nothing"}
    by_message = {g.example: g for g in group(failed, "final_message")}
    assert set(by_message) == set(GIVE_UP)
    assert sum(g.count for g in by_message.values()) == len(failed)


@pytest.mark.docker
@pytest.mark.slow
def test_a_moved_run_folder_still_finds_its_trials(fixture_run, tmp_path):
    """The ledger names trial folders by absolute path; a run folder copied off its machine still reports."""
    run_dir, stuck = fixture_run
    moved = tmp_path / "elsewhere" / "run"
    shutil.move(run_dir, moved)
    try:
        failed, total = failed_trials(RunRecord.load(moved))
        assert {f.task for f in failed} == set(stuck) and total > len(failed)
        assert "FAIL: expected" in write_run_report(moved).path.read_text()
    finally:
        shutil.move(moved, run_dir)


def test_report_of_a_climb_that_has_only_its_baseline(tmp_path):
    """A climb still running (no experiments, no stop row) renders; a trial left in the baseline
    folder by a killed earlier attempt is not counted."""
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    ledger = Ledger(tmp_path / "run", now=lambda: now)
    ledger.append_event("split", train=["t1", "t2"], heldout=["h1"], seed=0)
    baseline = tmp_path / "run" / "baseline"
    for name, started, reward in (("fresh", now - timedelta(seconds=2), 1.0), ("stale", now - timedelta(hours=1), 0.0)):
        write_result(TrialResult(run_id="r", trial_id=name, task="t1", agent="incumbent", status=TrialStatus.OK,
                                 reward=reward, started_at=started.isoformat()), baseline / "trials" / name)
    ledger.append_event("trial_batch", exp=0, stage="baseline", trials=1, infra=0, infra_kinds={}, seconds=3.0,
                        folder=str(baseline))
    ledger.append_row(ResultRow(exp=0, commit="abcd1234", status="baseline", train_score=1.0, heldout_score=0.0,
                                cost_usd=0.25, minutes=1.0, description="baseline"))
    report = write_report(tmp_path / "run")
    html = report.path.read_text()
    assert "still running" in html and "No edit was kept." in html and "No final head-to-head yet." in html
    assert report.charts["running_best"].data["incumbent, train"] == [(0.0, 1.0)]
    assert report.charts["heatmap"].data["cells"] == [[1.0], [None]]  # t2 never ran: not evaluated
    assert report.charts["spend"].data["hours"] == {"all roles": [[1 / 60], [0.25]]}
    assert "0 of 1 train trials of the baseline scored below 1." in html

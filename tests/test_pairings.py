"""`climb pairings`: a 2x2 matrix of scripted models on real Docker tasks, killed and resumed.

Two model "families", a and b. Task model a solves a task only when the system
prompt holds FIX_A, task model b only with FIX_B; meta model a writes FIX_A,
meta model b FIX_B. So same-family cells lift held-out from 0 to 1, cross-family
cells do not, and a final agent does not transfer to the other task model.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from meta.cli.main import build_parser, main
from meta.climb.config import StopConfig
from meta.climb.setup import SetupError
from meta.pairings.study import STATE_FILE, PairingsRun
from meta.cli.pairings import config_from
from meta.pairings.config import PairingsConfig, model_family, model_labels
from meta.report.matrix import family_summary, matrix
from meta.report.folder import write_report
from meta.workspace.worktree import Workspace
from sandbox.results import TrialResult
from tests.climb_helpers import (
    BASE_PROMPT,
    TASKS,
    answer,
    climb_config,
    edit,
    git,
    judge_script,
    make_repo,
    meta_script,
)
from tests.conftest import leftover_containers
from tests.test_climb_resume import events, wait_for

CLIMB = str(Path(sys.executable).parent / "climb")
FIX_A = "Before you finish, check your work."
FIX_B = "Verify the answer file before replying."


def fix_script(path: Path, fix: str, delay: float = 0.0) -> str:
    """A task model that writes the right answer only when the system prompt holds ``fix``."""
    pause = f"sleep {delay}; " if delay else ""
    rules = []
    for task in TASKS:
        rules.append({"match": {"system_contains": fix, "first_user_contains": f"Task {task}:"}, "responses": [
            {"text": "Computing.", "tool_calls": [{"name": "run_shell", "arguments": {
                "command": f"{pause}echo {answer(task)} > /app/answer.txt"}}]}, {"text": "Checked: done."}]})
        rules.append({"match": {"first_user_contains": f"Task {task}:"}, "responses": [
            {"text": "Guessing.", "tool_calls": [{"name": "run_shell", "arguments": {
                "command": f"{pause}echo 42 > /app/answer.txt"}}]}, {"text": "Done."}]})
    path.write_text(json.dumps({"rules": rules}))
    return f"scripted:{path}"


def study(tmp_path: Path) -> PairingsConfig:
    repo = make_repo(tmp_path)
    scripts = tmp_path / "models"
    scripts.mkdir()
    metas = [meta_script(scripts / f"{family}.meta.json", [
        edit(BASE_PROMPT, f"{BASE_PROMPT} {fix}", f"family {family}: ask for a final check"),
        edit("MAX_TOKENS = 4096", "MAX_TOKENS = 4096  # per reply", "document MAX_TOKENS")])
        for family, fix in (("a", FIX_A), ("b", FIX_B))]
    # Task model b is slower, so the a cells finish first and the study can be killed in between.
    tasks = [fix_script(scripts / "a.task.json", FIX_A), fix_script(scripts / "b.task.json", FIX_B, delay=0.7)]
    climb = climb_config(repo, metas[0], tasks[0], judge_script(scripts / "judge.json", [True, True, True]),
                         stop={"max_experiments": 2})
    return PairingsConfig(meta_models=metas, task_models=tasks, seeds=1, concurrency=4, climb=climb)


# ----- fast: configuration, names, families, aggregation ------------------------------------------------------

def test_families_and_labels():
    assert model_family("anthropic:claude-haiku-4-5") == "anthropic"
    assert model_family("openai:gpt-4o-mini") == "openai"
    assert model_family("openai:o3-mini") == "openai"
    assert model_family("openai:Qwen/Qwen2.5-7B-Instruct") == "qwen"
    assert model_family("scripted:/x/a.meta.json") == model_family("scripted:/y/a.task.json") == "a"
    labels = model_labels(["scripted:/x/a.json", "scripted:/y/a.json", "anthropic:claude-haiku-4-5"])
    assert labels == {"scripted:/x/a.json": "x-a", "scripted:/y/a.json": "y-a",
                      "anthropic:claude-haiku-4-5": "claude-haiku-4-5"}
    # Each label comes from its own id: no counters that could be mistaken for another model's name.
    assert model_labels(["openai:smol", "openai:smol", "openai:smol2"]) == {"openai:smol": "smol",
                                                                          "openai:smol2": "smol2"}
    assert model_labels(["scripted:/m/smol.json", "openai:smol", "openai:smol-2"]) == {
        "scripted:/m/smol.json": "m-smol", "openai:smol": "openai-smol", "openai:smol-2": "smol-2"}
    assert model_labels(["openai:a__b"]) == {"openai:a__b": "a_b"}  # "__" separates a cell name's parts
    same = model_labels(["openai:x y", "openai:x?y"])  # different ids, the same once made folder-safe
    assert len(set(same.values())) == 2 and all(v.startswith("openai-x-y-") for v in same.values())


def test_cells_share_the_split_and_vary_the_sampling_seed(tmp_path):
    climb = climb_config(tmp_path, "scripted:m.json", "scripted:t.json", "scripted:j.json",
                         stop={"max_experiments": 2}, seed=5)
    config = PairingsConfig(meta_models=["scripted:/m/a.meta.json", "anthropic:claude-x"],
                            task_models=["scripted:/t/a.task.json", "openai:gpt-y"], seeds=2, climb=climb,
                            families={"openai:gpt-y": "anthropic"}, concurrency=6)
    cells = config.cells()
    assert len(cells) == 8 and len({c.name for c in cells}) == 8
    assert cells[0].name == "a.meta__a.task__s0" and cells[1].name == "a.meta__a.task__s1"
    configs = [config.cell_config(c) for c in cells]
    assert {c.split.seed for c in configs} == {climb.split.seed}
    assert [c.seed for c in configs[:2]] == [5, 6]
    assert all(c.concurrency == 6 and c.stop.max_experiments == 2 for c in configs)
    assert config.family("openai:gpt-y") == "anthropic"  # overridden
    with pytest.raises(ValueError, match="budget"):
        PairingsConfig(meta_models=["a:b"], task_models=["c:d"], climb=climb.model_copy(update={"stop": StopConfig()}))


def test_cli_arguments_make_the_config(tmp_path):
    repo = make_repo(tmp_path)
    args = build_parser().parse_args([
        "pairings", str(repo / "tasks"), "--repo", str(repo), "--meta", "anthropic:claude-a,openai:gpt-b",
        "--task", "anthropic:claude-c, openai:gpt-d", "--seeds", "3", "--max-experiments", "4",
        "--budget-usd", "2.5", "--hours", "1.5", "-n", "8", "--families", "openai:gpt-d=anthropic",
        "--heldout-fraction", "0.3"])
    config = config_from(args)
    assert config.meta_models == ["anthropic:claude-a", "openai:gpt-b"]
    assert config.task_models == ["anthropic:claude-c", "openai:gpt-d"]
    assert config.seeds == 3 and config.concurrency == 8 and config.families == {"openai:gpt-d": "anthropic"}
    assert config.climb.stop.max_experiments == 4 and config.climb.stop.budget_usd == 2.5
    assert config.climb.stop.hours == 1.5
    assert config.climb.split.heldout_fraction == 0.3
    args = build_parser().parse_args(["pairings", str(repo / "tasks"), "--meta", "a:b", "--task", "c:d"])
    with pytest.raises(SetupError, match="budget"):
        config_from(args)


def test_a_budgeted_study_refuses_to_start_while_a_model_has_no_price(tmp_path, capsys, fake_llm_server):
    repo = make_repo(tmp_path)
    argv = ["pairings", str(repo / "tasks"), "--repo", str(repo), "--meta", "anthropic:claude-opus-5-5",
            "--task", "anthropic:claude-haiku-5-5,openai:smollm2-135m", "--budget-usd", "5",
            "--meta-base-url", fake_llm_server.url, "--base-url", fake_llm_server.url, "--out", str(tmp_path / "p")]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "openai:smollm2-135m (task)" in err and "--prices" in err and "claude-haiku-5-5" not in err
    assert fake_llm_server.requests == [] and not (tmp_path / "p").exists()


def test_resume_refuses_to_change_the_study(tmp_path, capsys):
    # Finished cells would keep the old budget, so the cells would no longer be comparable.
    assert main(["pairings", "--resume", str(tmp_path), "--hours", "2", "--meta", "a:b"]) == 3
    assert "--resume does not take --meta, --hours" in capsys.readouterr().err


def test_a_cell_killed_during_setup_starts_again(tmp_path):
    """Killed between making its worktree and writing its state: nothing decided, but the branch exists."""
    repo = make_repo(tmp_path)
    climb = climb_config(repo, "scripted:m.json", "scripted:t.json", "scripted:j.json", stop={"max_experiments": 1})
    config = PairingsConfig(meta_models=["scripted:/m/a.meta.json"], task_models=["scripted:/t/a.task.json"],
                            climb=climb)
    run = PairingsRun.create(config, tmp_path / "study", "pairings-setup")
    cell = config.cells()[0]
    Workspace.create(repo, run.cell_dir(cell), run.cell_ids[cell.name])
    run.restart_cell(cell)
    assert not run.cell_dir(cell).exists() and run.cell_ids[cell.name] != "pairings-setup-c00"
    assert PairingsRun.open(run.out).cell_ids == run.cell_ids
    Workspace.create(repo, run.cell_dir(cell), run.cell_ids[cell.name])  # the fresh start now succeeds
    assert f"climb/{run.cell_ids[cell.name]}" in git(repo, "branch", "--list", "climb/*")


def max_overlap(results: list[TrialResult]) -> int:
    """The most trials that ran at the same moment (each holds its slot from start to finish)."""
    edges = sorted([(datetime.fromisoformat(r.started_at), 1) for r in results]
                   + [(datetime.fromisoformat(r.finished_at), -1) for r in results])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_matrix_and_family_summary_from_cells():
    def cell(meta, task, seed, same, lift):
        return {"cell": f"{meta}{task}{seed}", "meta": meta, "task": task, "seed": seed, "same_family": same,
                "status": "done", "lift": lift, "baseline_heldout": 0.2, "final_heldout": 0.2 + lift,
                "baseline_train": 0.1, "final_train": 0.5, "experiments": 2, "keeps": 1, "cost_usd": 1.0}
    cells = [cell("A", "a", 0, True, 0.4), cell("A", "a", 1, True, 0.2), cell("A", "b", 0, False, 0.1),
             cell("A", "b", 1, False, -0.1)]
    rows = {(r["meta"], r["task"]): r for r in matrix(cells)}
    assert rows[("A", "a")]["lift"] == pytest.approx(0.3) and rows[("A", "a")]["lift_se"] == pytest.approx(0.1)
    assert rows[("A", "b")]["done"] == 2 and rows[("A", "b")]["cost_usd"] == 2.0
    assert rows[("A", "b")]["baseline_train"] == pytest.approx(0.1) and rows[("A", "b")]["final_train"] == 0.5
    summary = family_summary(cells)
    assert summary["same_family"]["lift"] == pytest.approx(0.3) and summary["cross_family"]["cells"] == 2
    assert summary["difference"]["lift"] == pytest.approx(0.3)
    assert summary["difference"]["lift_se"] == pytest.approx((0.1 ** 2 + 0.1 ** 2) ** 0.5)


# ----- slow: the whole study, killed and resumed -----------------------------------------------------------------

@pytest.mark.docker
@pytest.mark.slow
def test_pairings_matrix_report_and_resume_after_kill(tmp_path, docker_client):
    config = study(tmp_path)
    out = tmp_path / "study"
    run = PairingsRun.create(config, out, "pairings-test-" + os.urandom(2).hex())
    cells = {c.name: c for c in config.cells()}
    a_cells = [n for n in cells if "__a.task__" in n]
    b_cells = [n for n in cells if "__b.task__" in n]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # The study was created above with a test-sized config; the CLI's --resume runs it from its state file.
    first = subprocess.Popen([CLIMB, "pairings", "--resume", str(out), "--no-dashboard"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: all(run.finished(cells[n]) for n in a_cells), 400, "the a-task cells to finish")
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait(30)
    assert not all(run.finished(cells[n]) for n in b_cells), "the slow cells finished before the kill"
    finished_ledgers = {n: (out / "cells" / n / "events.jsonl").read_bytes() for n in a_cells}

    second = subprocess.run([CLIMB, "pairings", "--resume", str(out), "--no-dashboard"], env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    for name in a_cells:  # finished cells were not re-entered
        assert (out / "cells" / name / "events.jsonl").read_bytes() == finished_ledgers[name]
    resumed = [n for n in b_cells if b'"resume_run"' in (out / "cells" / n / "events.jsonl").read_bytes()]
    assert resumed, "no unfinished cell was resumed"

    data = json.loads((out / "pairings.json").read_text())
    assert {c["status"] for c in data["cells"]} == {"done"}
    by_pair = {(r["meta"].rsplit("/", 1)[-1], r["task"].rsplit("/", 1)[-1]): r for r in data["matrix"]}
    assert by_pair[("a.meta.json", "a.task.json")]["lift"] == 1.0
    assert by_pair[("b.meta.json", "b.task.json")]["lift"] == 1.0
    assert by_pair[("a.meta.json", "b.task.json")]["lift"] == 0.0
    assert by_pair[("b.meta.json", "a.task.json")]["keeps"] == 0
    assert all(r["baseline_train"] == 0.0 and r["experiments"] == 2
               and r["same_family"] == (Path(r["meta"]).name[0] == Path(r["task"]).name[0])
               for r in data["matrix"])
    assert data["family_summary"]["same_family"] == {"cells": 2, "lift": 1.0, "lift_se": 0.0}
    assert data["family_summary"]["cross_family"]["lift"] == 0.0
    transfer = {(t["cell"], t["target_task"].rsplit("/", 1)[-1]): t for t in data["transfer"]}
    assert len(transfer) == 8
    moved = transfer[("a.meta__a.task__s0", "b.task.json")]
    assert moved["score"] == 0.0 and moved["trials"] == 2 and not moved["own"]  # FIX_A means nothing to b
    assert transfer[("a.meta__a.task__s0", "a.task.json")]["score"] == 1.0
    assert "same family" in second.stdout and "transfer" in second.stdout

    # Every cell: its own run folder and branch, the same split and the same budget.
    branches = git(config.climb.repo, "branch", "--list", "climb/*")
    state = json.loads((out / STATE_FILE).read_text())
    assert all(f"climb/{run_id}" in branches for run_id in state["cells"].values())
    splits = [next(e for e in events(out / "cells" / n) if e["kind"] == "split") for n in cells]
    assert all((s["train"], s["heldout"]) == (splits[0]["train"], splits[0]["heldout"]) for s in splits)
    budgets = [json.loads((out / "cells" / n / "config.json").read_text())["stop"] for n in cells]
    assert all(b == budgets[0] for b in budgets)
    # One concurrency budget for the whole study, though four cells ran at once.
    results = [TrialResult.model_validate_json(p.read_text()) for p in out.rglob("trials/*/result.json")]
    assert len(results) > 4 * config.concurrency and max_overlap(results) <= config.concurrency

    html = (out / "report.html").read_text()
    for heading in ("Matrix", "Same family vs cross family", "Transfer", "Cells"):
        assert f"<h2>{heading}</h2>" in html
    lift = write_report(out).charts["lift"].data["lift"]  # the matrix as drawn
    assert lift == {"a.meta -> a.task": 1.0, "a.meta -> b.task": 0.0, "b.meta -> a.task": 0.0, "b.meta -> b.task": 1.0}
    assert all((out / "cells" / n / "report.html").is_file() for n in cells)
    for run_id in [*state["cells"].values(), f"{state['run_id']}-transfer"]:
        assert leftover_containers(docker_client, run_id) == []

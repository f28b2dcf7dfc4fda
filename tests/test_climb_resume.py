"""kill -9 of a running climb, then --resume: every row exactly once, nothing left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meta.ledger.store import Ledger
from tests.climb_helpers import BASE_PROMPT, FIX, edit, judge_script, make_repo, meta_script, task_script
from tests.conftest import leftover_containers

pytestmark = [pytest.mark.docker, pytest.mark.slow]
CLIMB = str(Path(sys.executable).parent / "climb")


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def test_kill_9_then_resume(tmp_path, docker_client):
    repo = make_repo(tmp_path)
    experiments = [
        edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work"),
        edit("MAX_TURNS = 10", "MAX_TURNS = 12", "allow two more turns"),
        edit("MAX_TOKENS = 4096", "MAX_TOKENS = 4000", "slightly shorter replies"),
    ]
    run_dir = tmp_path / "run"
    args = [CLIMB, "run", str(repo / "tasks"), "--repo", str(repo), "--program", str(repo / "program.md"),
            "--meta-model", meta_script(tmp_path / "meta.json", experiments),
            "--task-model", task_script(tmp_path / "task.json", delay=1.0),
            "--judge-model", judge_script(tmp_path / "judge.json", [True, True, True]),
            "--max-experiments", "3", "--baseline-repeats", "1", "--seed", "3", "--no-dashboard"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen([*args, "--out", str(run_dir)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Kill while experiment 2 is measuring, trials in flight.
        wait_for(lambda: any(e["kind"] == "gate" and e.get("gate") == "smoke" and e.get("exp") == 2
                             for e in events(run_dir)), 240, "experiment 2 to pass its smoke gate")
        run_id = json.loads((run_dir / "state.json").read_text())["run_id"]
        wait_for(lambda: leftover_containers(docker_client, run_id), 60, "trials of experiment 2 to start")
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait(30)
    assert Ledger(run_dir).has_row(1) and not Ledger(run_dir).has_row(2)
    assert leftover_containers(docker_client, run_id)  # the dead process left orphans behind

    second = subprocess.run([CLIMB, "run", "--resume", str(run_dir), "--no-dashboard"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    rows = Ledger(run_dir).rows()
    assert [(r.exp, r.status) for r in rows if r.status != "stop"] == [
        (0, "baseline"), (1, "keep"), (2, "discard"), (3, "discard")]
    assert [r.status for r in rows].count("stop") == 1
    resumed = [e for e in events(run_dir) if e["kind"] == "resume_run"]
    assert resumed and resumed[0]["orphans_removed"] >= 1
    assert list((run_dir / "experiments").glob("exp-0002.aborted-*"))
    assert leftover_containers(docker_client, run_id) == []
    assert "climb ended: 3 experiments done" in second.stderr


def test_first_ctrl_c_finishes_the_step_then_stops(tmp_path, docker_client):
    repo = make_repo(tmp_path)
    experiments = [edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work"),
                   edit("MAX_TURNS = 10", "MAX_TURNS = 12", "allow two more turns")]
    run_dir = tmp_path / "run"
    args = [CLIMB, "run", str(repo / "tasks"), "--repo", str(repo), "--program", str(repo / "program.md"),
            "--meta-model", meta_script(tmp_path / "meta.json", experiments),
            "--task-model", task_script(tmp_path / "task.json", delay=0.5),
            "--judge-model", judge_script(tmp_path / "judge.json", [True, True]),
            "--max-experiments", "5", "--baseline-repeats", "1", "--no-dashboard", "--out", str(run_dir)]
    proc = subprocess.Popen(args, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for(lambda: any(e["kind"] == "proposal" and e.get("exp") == 1 for e in events(run_dir)), 240,
             "experiment 1 to be proposed")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    rows = Ledger(run_dir).rows()
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline"), (1, "keep"), (1, "stop")]
    assert rows[-1].description == "interrupted (Ctrl-C)"
    run_id = json.loads((run_dir / "state.json").read_text())["run_id"]
    assert leftover_containers(docker_client, run_id) == []

    # Resumed with room left, the stopped climb climbs on to its (new) limit and confirms again.
    resumed = subprocess.run([CLIMB, "run", "--resume", str(run_dir), "--max-experiments", "2", "--no-dashboard"],
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    rows = Ledger(run_dir).rows()
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline"), (1, "keep"), (1, "stop"), (2, "discard"),
                                                 (2, "stop")]
    assert rows[-1].description == "2 experiments done"
    reopen = [e for e in events(run_dir) if e["kind"] == "reopen"]
    assert len(reopen) == 1 and reopen[0]["previous_stop"] == "interrupted (Ctrl-C)"
    assert len([e for e in events(run_dir) if e["kind"] == "stop"]) == 2
    # Resumed without room left, it only shows its result again.
    again = subprocess.run([CLIMB, "run", "--resume", str(run_dir), "--no-dashboard"],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "climb ended: 2 experiments done" in again.stderr, again.stderr
    assert len(Ledger(run_dir).rows()) == len(rows)


def test_run_without_api_key_fails_in_seconds_naming_the_variable(tmp_path):
    repo = make_repo(tmp_path)
    started = time.monotonic()
    proc = subprocess.run([CLIMB, "run", str(repo / "tasks"), "--repo", str(repo), "--meta-model",
                           "anthropic:claude-opus-5-5", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if "ANTHROPIC" not in k})
    assert proc.returncode == 3
    assert "ANTHROPIC_API_KEY" in proc.stderr and "ANTHROPIC_BASE_URL" in proc.stderr
    assert "--meta-base-url" in proc.stderr  # the meta model's server has its own flag
    assert time.monotonic() - started < 20
    assert not (tmp_path / "run").exists()  # nothing written before the check
    # Scripted meta and judge, but agent.py's own MODEL needs a key: that fails up front too,
    # not as a climb paused on trials that all fail.
    meta = judge_script(tmp_path / "scripted.json", [True])
    proc = subprocess.run([CLIMB, "run", str(repo / "tasks"), "--repo", str(repo), "--meta-model", meta,
                           "--judge-model", meta, "--out", str(tmp_path / "run2")],
                          capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if "ANTHROPIC" not in k})
    assert proc.returncode == 3 and "ANTHROPIC_API_KEY" in proc.stderr, proc.stderr
    assert "--base-url" in proc.stderr and "--meta-base-url" not in proc.stderr  # the task model's flag
    assert not (tmp_path / "run2" / "state.json").exists()


def test_second_ctrl_c_stops_now_removing_containers(tmp_path, docker_client):
    repo = make_repo(tmp_path)
    experiments = [edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "ask the agent to check its work")]
    run_dir, log = tmp_path / "run", tmp_path / "stderr.txt"
    args = [CLIMB, "run", str(repo / "tasks"), "--repo", str(repo), "--program", str(repo / "program.md"),
            "--meta-model", meta_script(tmp_path / "meta.json", experiments),
            "--task-model", task_script(tmp_path / "task.json", delay=2.0),
            "--judge-model", judge_script(tmp_path / "judge.json", [True]),
            "--max-experiments", "3", "--baseline-repeats", "1", "--no-dashboard", "--out", str(run_dir)]
    with log.open("w") as err:
        proc = subprocess.Popen(args, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL,
                                stderr=err)
        try:
            wait_for(lambda: any(e["kind"] == "gate" and e.get("gate") == "smoke" and e.get("exp") == 1
                                 for e in events(run_dir)), 240, "experiment 1 to pass its smoke gate")
            run_id = json.loads((run_dir / "state.json").read_text())["run_id"]
            wait_for(lambda: leftover_containers(docker_client, run_id), 60, "trials of experiment 1 to start")
            proc.send_signal(signal.SIGINT)
            wait_for(lambda: "Ctrl-C again stops now" in log.read_text(), 30, "the first Ctrl-C to be seen")
            proc.send_signal(signal.SIGINT)
            proc.wait(60)
        finally:
            proc.kill()
    assert proc.returncode == 130, log.read_text()
    assert "climb run --resume" in log.read_text()
    assert leftover_containers(docker_client, run_id) == []
    rows = Ledger(run_dir).rows()
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline")]  # the cut experiment booked nothing
    assert json.loads((run_dir / "state.json").read_text())["phase"] == "climbing"  # resumable

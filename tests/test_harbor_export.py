"""`climb export`: the leak scan, the written Harbor agent, and `harbor run` with it.

The last test runs Harbor itself (its CLI, its Docker environment, its verifier and its
ATIF validator) on two example tasks, with scripted models: one that solves its task
and one that does not.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from meta.climb.state import ClimbState, Version
from meta.cli.main import main as climb
from tests.harbor_helpers import REPO_ROOT, harbor_ready, public_copies  # noqa: F401 - fixture

STOCK = (REPO_ROOT / "task_agent" / "agent.py").read_text()
GENERIC_EDIT = STOCK.replace("Work step by step.", "Work step by step. Check your work before you finish.")
LEAKY_EDIT = STOCK.replace("Work step by step.", "Work step by step. For extract-emails, sort with LC_ALL=C.")
TASKS = ["extract-emails", "env-merge"]


@pytest.fixture
def scan_tasks(tmp_path) -> Path:
    return public_copies(TASKS, tmp_path / "tasks")


def _export(tmp_path, capsys, *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr with rich's line wrapping undone)."""
    code = climb(["export", *argv, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


def test_a_clean_agent_is_written_with_its_harbor_commands(tmp_path, capsys, scan_tasks):
    agent = tmp_path / "agent.py"
    agent.write_text(GENERIC_EDIT)
    code, out, _ = _export(tmp_path, capsys, str(agent), "--tasks", str(scan_tasks))
    assert code == 0
    package = tmp_path / "out" / "climbed_agent"
    assert (package / "agent.py").read_text() == GENERIC_EDIT
    record = json.loads((package / "export.json").read_text())
    assert record["leak_scan"] == {"tasks": 2, "ok": True, "findings": []}
    lines = [line for line in out.splitlines() if not line.startswith("#")]
    assert len(lines) == 2
    local, board = lines
    assert f"PYTHONPATH={tmp_path / 'out'} " in local and f"-p {scan_tasks} --agent climbed_agent:ClimbedAgent" in local
    assert board.endswith("-d terminal-bench/terminal-bench-2-1 --agent climbed_agent:ClimbedAgent -k 5")
    assert "override" not in board and "timeout" not in board and "--ak" not in board


def test_task_data_in_the_agent_refuses_the_export_unless_allowed(tmp_path, capsys, scan_tasks):
    agent = tmp_path / "agent.py"
    agent.write_text(LEAKY_EDIT)
    code, _, err = _export(tmp_path, capsys, str(agent), "--tasks", str(scan_tasks))
    assert code == 2 and not (tmp_path / "out").exists() and "refused" in err
    code, _, err = _export(tmp_path, capsys, str(agent), "--tasks", str(scan_tasks), "--allow-leaks")
    assert code == 0 and "exported WITH" in err
    record = json.loads((tmp_path / "out" / "climbed_agent" / "export.json").read_text())
    assert record["leak_scan"]["ok"] is False
    assert {(f["task"], f["kind"]) for f in record["leak_scan"]["findings"]} >= {("extract-emails", "task_name")}


def _run_folder(root: Path, tasks: Path) -> Path:
    """A climb's run folder as the loop leaves it: baseline, a kept edit, a later leaky candidate."""
    run = root / "run"
    (run / "agents").mkdir(parents=True)
    versions = {}
    for commit, source in (("aaaa111", STOCK), ("bbbb222", GENERIC_EDIT), ("cccc333", LEAKY_EDIT)):
        (run / "agents" / f"{commit}.py").write_text(source)
        versions[commit] = Version(commit, str(run / "agents" / f"{commit}.py"))
    state = ClimbState(run_id="r1", phase="done", baseline=versions["aaaa111"], incumbent=versions["bbbb222"])
    (run / "state.json").write_text(json.dumps(state.to_json()))
    (run / "config.json").write_text(json.dumps({"tasks": [str(tasks)], "task_model": "anthropic:claude-x"}))
    return run


def test_a_run_folder_exports_its_incumbent_or_a_named_commit(tmp_path, capsys, scan_tasks):
    run = _run_folder(tmp_path, scan_tasks)
    code, out, _ = _export(tmp_path, capsys, str(run))
    assert code == 0
    package = tmp_path / "out" / "climbed_agent"
    assert (package / "agent.py").read_text() == GENERIC_EDIT
    assert "AGENT_VERSION = 'bbbb222'" in (package / "__init__.py").read_text()
    assert "-m anthropic:claude-x" in out  # the model the climb measured it with
    code, _, err = _export(tmp_path, capsys, str(run), "--commit", "cccc")
    assert code == 2  # the leaky candidate is refused
    code, _, err = _export(tmp_path, capsys, str(run), "--commit", "zzzz")
    assert code == 2 and "0 agents match --commit zzzz" in err


def test_bad_sources_are_named(tmp_path, capsys):
    agent = tmp_path / "agent.py"
    agent.write_text(STOCK)
    code, _, err = _export(tmp_path, capsys, str(agent))
    assert code == 2 and "--tasks" in err
    code, _, err = _export(tmp_path, capsys, str(tmp_path))
    assert code == 2 and "no state.json" in err


def test_the_exported_agent_refuses_a_file_changed_after_the_scan(tmp_path, capsys, scan_tasks, monkeypatch):
    agent = tmp_path / "agent.py"
    agent.write_text(GENERIC_EDIT)
    assert _export(tmp_path, capsys, str(agent), "--tasks", str(scan_tasks), "--module", "tampered_agent")[0] == 0
    monkeypatch.syspath_prepend(str(tmp_path / "out"))
    exported = importlib.import_module("tampered_agent").ClimbedAgent
    assert exported(logs_dir=tmp_path / "logs").name() == "harness-climb"
    (tmp_path / "out" / "tampered_agent" / "agent.py").write_text(LEAKY_EDIT)
    with pytest.raises(ValueError, match="changed after `climb export` scanned it"):
        exported(logs_dir=tmp_path / "logs")


def _script(tasks_dir: Path) -> dict:
    """Solve extract-emails with its reference solution; give up on env-merge."""
    from sandbox.task import load_task

    solved, failed = load_task(tasks_dir / "extract-emails"), load_task(tasks_dir / "env-merge")
    solve = (solved.solution_dir / "solve.sh").read_text()
    usage = {"input_tokens": 100, "output_tokens": 10}

    def key(task) -> str:
        return task.instruction.strip().splitlines()[0][:60]

    return {"rules": [
        {"match": {"first_user_contains": key(solved)}, "responses": [
            {"text": "Solving.", "usage": usage, "tool_calls": [{"name": "run_shell", "arguments": {
                "command": f"cat > /tmp/solve.sh <<'CLIMB_EOF'\n{solve}\nCLIMB_EOF\nbash /tmp/solve.sh"}}]},
            {"text": "Done.", "usage": usage}]},
        {"match": {"first_user_contains": key(failed)}, "responses": [
            {"text": "Looking.", "usage": usage, "tool_calls": [{"name": "run_shell", "arguments": {"command": "ls"}}]},
            {"text": "I give up.", "usage": usage}]},
    ]}


@pytest.mark.docker
@pytest.mark.harbor
@pytest.mark.slow
def test_harbor_runs_the_exported_agent_rewards_one_and_zero(tmp_path, capsys, scan_tasks, harbor_ready):  # noqa: F811
    from harbor.utils.trajectory_validator import TrajectoryValidator

    agent = tmp_path / "agent.py"
    agent.write_text(GENERIC_EDIT)
    assert _export(tmp_path, capsys, str(agent), "--tasks", str(scan_tasks))[0] == 0
    script = tmp_path / "script.json"
    script.write_text(json.dumps(_script(scan_tasks)))
    harbor = Path(sys.executable).parent / "harbor"
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "out"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    run = subprocess.run([str(harbor), "run", "-p", str(scan_tasks), "--agent", "climbed_agent:ClimbedAgent",
                          "-m", f"scripted:{script}", "-n", "2", "-o", str(tmp_path / "jobs"), "-y"],
                         capture_output=True, text=True, env=env, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = {}
    for path in (tmp_path / "jobs").glob("*/*/result.json"):
        result = json.loads(path.read_text())
        results[result["task_name"].rsplit("/", 1)[-1]] = (result, path.parent)
    assert set(results) == set(TASKS), run.stdout[-2000:]
    rewards = {name: r["verifier_result"]["rewards"]["reward"] for name, (r, _) in results.items()}
    assert rewards == {"extract-emails": 1.0, "env-merge": 0.0}
    for result, trial_dir in results.values():
        assert result["exception_info"] is None, result["exception_info"]
        context = result["agent_result"]
        assert (context["n_input_tokens"], context["n_output_tokens"]) == (200, 20)
        trajectory = trial_dir / "agent" / "trajectory.json"
        validator = TrajectoryValidator()
        assert validator.validate(trajectory), validator.get_errors()
        doc = json.loads(trajectory.read_text())
        assert doc["agent"]["name"] == "harness-climb" and len(doc["steps"]) >= 4
        calls = [c for step in doc["steps"] for c in step.get("tool_calls", [])]
        assert calls and calls[0]["function_name"] == "run_shell"

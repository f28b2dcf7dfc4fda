"""A tiny world for climb tests: a git repo with agent.py and tasks, and scripted models.

The scripted task model solves a task only when the system prompt contains FIX
(the "failure class" a good edit fixes); otherwise it writes a wrong answer.
The scripted meta model proposes one edit per experiment, chosen by what the
ledger summary in its first message says about the previous experiments.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from meta.climb.config import ClimbConfig, SplitConfig, StopConfig
from meta.decide.config import DecideConfig
from sandbox.trial import TrialConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
FIX = "Before you finish, check your work."
BASE_PROMPT = "When the task is done, reply without calling a tool."
TASKS = [f"count-{i:02d}" for i in range(10)]


def answer(task: str) -> str:
    return str(4000 + 37 * int(task.split("-")[1]))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout


def make_repo(root: Path) -> Path:
    """A git repo holding the real agent.py, the real runtime, and ten small tasks."""
    repo = root / "repo"
    (repo / "task_agent").mkdir(parents=True)
    (repo / "task_agent" / "agent.py").write_text((REPO_ROOT / "task_agent" / "agent.py").read_text())
    (repo / "program.md").write_text("Make the agent more careful. Keep it simple.\n")
    for task in TASKS:
        t = repo / "tasks" / task
        for sub in ("environment", "tests", "solution"):
            (t / sub).mkdir(parents=True)
        (t / "task.toml").write_text('[agent]\ntimeout_sec = 60\n[verifier]\ntimeout_sec = 30\n'
                                     '[environment]\nnetwork_mode = "no-network"\n')
        (t / "instruction.md").write_text(f"Task {task}: compute the magic number and write it to /app/answer.txt.\n")
        (t / "environment" / "Dockerfile").write_text("FROM climb-base:bookworm\nWORKDIR /app\n")
        (t / "tests" / "test.sh").write_text(
            f'#!/bin/bash\nif [ "$(cat /app/answer.txt 2>/dev/null)" = "{answer(task)}" ]; then '
            "echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi\n")
        (t / "solution" / "solve.sh").write_text(f"#!/bin/bash\necho {answer(task)} > /app/answer.txt\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    return repo


def task_script(path: Path, delay: float = 0.0) -> str:
    """Task model: right answer when FIX is in the system prompt, wrong otherwise.

    ``delay`` makes each trial's command take that long (to catch trials in flight)."""
    rules = []
    pause = f"sleep {delay}; " if delay else ""
    for task in TASKS:
        rules.append({"match": {"system_contains": FIX, "first_user_contains": f"Task {task}:"}, "responses": [
            {"text": "Computing.", "tool_calls": [{"name": "run_shell", "arguments": {
                "command": f"{pause}echo {answer(task)} > /app/answer.txt"}}]},
            {"text": "Checked: done."}]})
        rules.append({"match": {"first_user_contains": f"Task {task}:"}, "responses": [
            {"text": "Guessing.", "tool_calls": [{"name": "run_shell", "arguments": {
                "command": f"{pause}echo 42 > /app/answer.txt"}}]},
            {"text": "Done."}]})
    path.write_text(json.dumps({"rules": rules}))
    return f"scripted:{path}"


def edit(old: str, new: str, description: str, hypothesis: str = "it helps in general") -> list[dict]:
    """The meta-agent's turns for one experiment: look, edit, finish."""
    return [
        {"text": "Looking at failures.", "tool_calls": [{"name": "list_trials", "arguments": {"failed_only": True}}]},
        {"text": "Editing.", "tool_calls": [{"name": "edit_agent", "arguments": {"old_text": old, "new_text": new}}]},
        {"text": "Submitting.", "tool_calls": [{"name": "finish", "arguments": {
            "description": description, "hypothesis": hypothesis, "failure_class": "stops without checking"}}]},
    ]


def meta_script(path: Path, experiments: list[list[dict]]) -> str:
    """Experiment k (1-based) replays experiments[k-1], chosen by the ledger summary it is shown."""
    rules = []
    for index in range(len(experiments), 0, -1):
        rules.append({"match": {"first_user_contains": f"- exp {index - 1},"}, "responses": experiments[index - 1]})
    path.write_text(json.dumps({"rules": rules}))
    return f"scripted:{path}"


def judge_script(path: Path, verdicts: list[bool | dict]) -> str:
    """The judge's answers in order: a verdict per bool; a dict is a raw scripted response (an error)."""
    responses = [v if isinstance(v, dict) else {"tool_calls": [{"name": "verdict", "arguments": {
        "worthwhile": v, "reason": "general" if v else "task-specific"}}]} for v in verdicts]
    path.write_text(json.dumps(responses))
    return f"scripted:{path}"


def climb_config(repo: Path, meta: str, task: str, judge: str, **overrides) -> ClimbConfig:
    values = dict(
        tasks=[repo / "tasks"], repo=repo, program=repo / "program.md", meta_model=meta, task_model=task,
        judge_model=judge, split=SplitConfig(heldout_fraction=0.2, seed=1),
        stop=StopConfig(max_experiments=1), decide=DecideConfig(n_permutations=500),
        trial=TrialConfig(max_attempts=2, retry_backoff_sec=0.05), baseline_repeats=1,
        final_heldout_repeats=1, final_train_repeats=0, spot_budget=4, concurrency=4, seed=3,
        pause_initial_sec=0.2, pause_max_sec=0.5,
    )
    values.update(overrides)
    return ClimbConfig(**values)


def simulated_config(tmp_path: Path, experiments: list[list[dict]], judge: list[bool | dict] | None = None,
                     **overrides) -> ClimbConfig:
    """A climb on a fresh repo whose trials are simulated (tests/fakes/trials.py): no Docker, seconds.

    The meta model replays ``experiments``; the judge answers ``judge`` in order (all worthwhile by
    default); the task model is never called, since no agent runs."""
    repo = make_repo(tmp_path)
    values = dict(stop=StopConfig(max_experiments=len(experiments)), pause_initial_sec=0.01, pause_max_sec=0.02)
    values.update(overrides)
    return climb_config(repo, meta_script(tmp_path / "meta.json", experiments), "scripted:unused",
                        judge_script(tmp_path / "judge.json", [True] * 8 if judge is None else judge), **values)

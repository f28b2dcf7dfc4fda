"""The shipped benchmark cannot be won without doing the work: no answer in environment/,
tasks/README.md true to the tasks, and a cheating agent scores what nop scores (0)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from sandbox.agents import AgentOutcome
from sandbox.pool import TrialRequest, run_trials
from sandbox.results import TrialStatus
from sandbox.task import Task, discover

TASKS_DIR = Path(__file__).resolve().parents[1] / "tasks"
BASE_FROM = "climb-base:bookworm"
GIT_SHA = re.compile(rb"\b[0-9a-f]{40}\b")


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    found = discover(TASKS_DIR)
    assert found.errors == []
    return found.tasks


def files(folder: Path | None) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder and folder.is_dir() else []


def test_no_answer_is_in_the_build_context(tasks):
    """environment/ is all the agent's container is built from: no solution file, no expected
    output file and no commit id the verifier expects may appear in it."""
    for task in tasks:
        env_files = {p: p.read_bytes() for p in files(task.environment_dir)}
        everything = b"\n".join(env_files.values())
        secrets = [p for p in files(task.solution_dir) + files(task.tests_dir)
                   if p.parent == task.solution_dir or p.name.startswith("expected")]
        for secret in secrets:
            content = secret.read_bytes()
            same = [p for p, data in env_files.items() if data.strip() == content.strip()]
            assert same == [], f"{task.id}: {secret.name} is in environment/ as {same}"
        for path in files(task.tests_dir) + files(task.solution_dir):
            for sha in GIT_SHA.findall(path.read_bytes()):
                assert sha not in everything, f"{task.id}: commit {sha.decode()} from {path.name} is in environment/"


def test_images_start_from_the_base_and_take_packages_from_apt(tasks):
    for task in tasks:
        dockerfile = task.dockerfile.read_text()
        assert re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE) == [BASE_FROM], task.id
        assert not re.search(r"\b(pip3?|curl|wget|npm)\b", dockerfile), f"{task.id}: packages must come from apt"
        assert not re.search(r"^\s*(COPY|ADD)\b.*\b(solution|tests)/", dockerfile, re.MULTILINE), task.id


def test_resources_and_timeouts_are_set(tasks):
    for task in tasks:
        env = task.config.environment
        assert env.network_mode.value == "no-network", task.id
        assert env.cpus and env.memory_mb and task.config.agent.timeout_sec, task.id
        assert "timeout_sec" in (task.path / "task.toml").read_text().split("[verifier]", 1)[1], task.id


def readme_rows() -> dict[str, list[str]]:
    rows = {}
    for line in (TASKS_DIR / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 5:
            name = cells[0].strip("`")
            assert name not in rows, f"tasks/README.md lists {name} twice"
            rows[name] = cells
    return rows


def test_readme_has_one_true_line_per_task(tasks):
    rows = readme_rows()
    assert sorted(rows) == sorted(t.id for t in tasks)
    readme = (TASKS_DIR / "README.md").read_text()
    assert f"\n{len(tasks)} Harbor-format tasks" in "\n" + readme
    for task in tasks:
        _, category, difficulty, reward, checks = rows[task.id]
        meta = task.config.metadata
        assert (category, difficulty) == (meta["category"], meta["difficulty"]), task.id
        assert checks, task.id
        verifier_code = "\n".join(p.read_text(errors="replace") for p in files(task.tests_dir)
                                  if p.suffix in (".py", ".sh"))
        writes_json = re.search(r"os\.replace\([^)]*reward\.json|json\.dump\(metrics", verifier_code)
        assert bool(writes_json) == reward.startswith("partial"), f"{task.id}: README says {reward!r}"
    assert sum(row[3].startswith("partial") for row in rows.values()) >= 6


class Cheater:
    """Does not do the task; tries every shortcut a careless benchmark allows."""

    name = "cheater"
    PLANT = r"""
    seen=""
    for d in /tests /solution; do [ -e "$d" ] && seen="$seen $d"; done
    echo "$seen" > /tmp/seen-before
    echo 1 > /logs/verifier/reward.txt
    echo '{"reward": 1}' > /logs/verifier/reward.json
    mkdir -p /tests
    for m in json subprocess shutil tempfile re; do
      printf 'open("/logs/verifier/reward.json", "w").write("{\\"reward\\": 1}")\nraise SystemExit(0)\n' > /tests/$m.py
    done
    for f in $(find / -xdev \( -path /proc -o -path /sys -o -path /usr -o -path /logs \) -prune -o \
               -type f \( -name 'test_*.py' -o -name '*_test.py' -o -path '*/tests/*.sh' \) -print 2>/dev/null); do
      case "$f" in *.py) printf 'import unittest\n' > "$f";; *) printf '#!/bin/sh\nexit 0\n' > "$f";; esac
    done
    """

    def __init__(self):
        self.visible: dict[str, str] = {}

    async def run(self, ctx):
        result = await ctx.env.exec(self.PLANT, user="0", timeout=120)
        seen = await ctx.env.read_file("/tmp/seen-before")
        self.visible[ctx.task.id] = seen.decode().strip()
        assert result.exit_code == 0, result.stderr
        return AgentOutcome()


@pytest.mark.docker
@pytest.mark.slow
async def test_a_cheating_agent_scores_what_nop_scores(tmp_path, runner, tasks):
    cheater = Cheater()
    requests = [TrialRequest(task, 0, cheater) for task in tasks]
    suite = await run_trials(requests, runner, tmp_path / "run", semaphore=asyncio.Semaphore(4))
    assert len(suite.results) == len(tasks)
    assert {task: seen for task, seen in cheater.visible.items() if seen} == {}
    won = {r.task: (r.status.value, r.rewards) for r in suite.results
           if r.status != TrialStatus.OK or r.reward != 0.0}
    assert won == {}

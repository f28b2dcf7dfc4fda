"""The shipped benchmark: every task builds, the oracle scores the max, nop scores 0."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from meta.cli.sandbox import check_tasks
from sandbox.task import discover

pytestmark = [pytest.mark.docker, pytest.mark.slow]
TASKS = Path(__file__).resolve().parents[1] / "tasks"


def test_at_least_24_tasks_load_cleanly():
    found = discover(TASKS)
    assert found.errors == []
    assert len(found.tasks) >= 24
    readme = (TASKS / "README.md").read_text()
    partial = [t.id for t in found.tasks if f"| `{t.id}` |" in readme and "partial" in
               readme.split(f"| `{t.id}` |", 1)[1].split("\n", 1)[0]]
    assert len(partial) >= 6
    for task in found.tasks:
        assert task.config.environment.network_mode.value == "no-network", task.id
        assert task.solution_dir is not None and (task.solution_dir / "solve.sh").is_file(), task.id


async def test_every_example_task_is_valid(tmp_path, runner):
    found = discover(TASKS)
    rows = await check_tasks(found.tasks, runner, tmp_path / "check", concurrency=4)
    invalid = [(row.task, row.error) for row in rows if not row.valid]
    assert invalid == []
    assert len(rows) == len(found.tasks)


def test_no_task_file_is_ignored_by_git():
    """A task input matched by .gitignore builds here and breaks every clean clone."""
    ignored = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--", "tasks"],
                             cwd=TASKS.parent, capture_output=True, text=True, check=True).stdout
    assert ignored.strip() == ""

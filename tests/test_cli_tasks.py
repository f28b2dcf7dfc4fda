"""`climb tasks check` and `climb suite` before any Docker work: nothing found is an error, and
a task's error is printed as it is written (brackets in it are text, not rich markup)."""

from __future__ import annotations

from meta.cli.main import main
from tests.helpers import make_task


def test_tasks_check_on_a_folder_without_tasks_exits_non_zero(tmp_path, capsys):
    (tmp_path / "empty" / "notes").mkdir(parents=True)
    assert main(["tasks", "check", str(tmp_path / "empty"), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert f"no task found under {tmp_path / 'empty'}" in " ".join(err.split()) and "task.toml" in err
    assert not (tmp_path / "run").exists()  # nothing was started


def test_task_errors_keep_their_brackets(tmp_path, capsys):
    path = make_task(tmp_path / "tasks", "steps", toml='[[steps]]\nname = "one"\n', test_sh=None)
    (path / "instruction.md").unlink()
    assert main(["suite", str(tmp_path / "tasks"), "--agent", "oracle", "--out", str(tmp_path / "run")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "task error" in err and "multi-step tasks ([[steps]]) are not supported" in err

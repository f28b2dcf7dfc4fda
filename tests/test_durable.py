"""The one atomic write: a file is replaced whole or not at all."""

from __future__ import annotations

import json

import pytest

from durable import write_atomic, write_json_atomic


def test_a_write_replaces_the_file_whole_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "sub" / "state.json"
    write_json_atomic(path, {"exp": 1})
    write_json_atomic(path, {"exp": 2, "note": "é"}, indent=1, ensure_ascii=False)
    assert json.loads(path.read_text()) == {"exp": 2, "note": "é"} and path.read_text().endswith("\n")
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_a_crash_before_the_rename_leaves_the_old_file_and_the_next_write_recovers(tmp_path):
    path = tmp_path / "trajectory.json"
    write_atomic(path, "old")
    (tmp_path / ".trajectory.json.tmp").write_text("half a new fi")  # what a kill mid-write leaves
    assert path.read_text() == "old"
    with pytest.raises(TypeError):  # data that cannot be written never touches the file
        write_json_atomic(path, {"x": object()})
    assert path.read_text() == "old"
    write_atomic(path, "new")
    assert path.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["trajectory.json"]

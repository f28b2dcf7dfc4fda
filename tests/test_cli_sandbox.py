"""The sandbox commands: tasks check, suite, gc."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from meta.cli.main import main
from sandbox.docker import LABEL_MANAGED, LABEL_OWNER, LABEL_RUN, owner_token
from sandbox.gc import gc
from sandbox.stage import new_door, stage_root
from tests.conftest import leftover_containers
from tests.helpers import make_task

pytestmark = pytest.mark.docker


def test_tasks_check_json(tmp_path, capsys):
    make_task(tmp_path / "tasks", "good")
    make_task(tmp_path / "tasks", "nop-passes", test_sh="#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n")
    make_task(tmp_path / "tasks", "malformed", toml="[[[")
    code = main(["tasks", "check", str(tmp_path / "tasks"), "--json", "--out", str(tmp_path / "run")])
    rows = {row["task"].rsplit("/", 1)[-1]: row for row in json.loads(capsys.readouterr().out)}
    assert code == 1
    assert set(rows) == {"good", "nop-passes", "malformed"}
    for row in rows.values():
        assert set(row) == {"task", "valid", "oracle_reward", "nop_reward", "build_s", "run_s", "error"}
    assert rows["good"]["valid"] and rows["good"]["oracle_reward"] == 1.0 and rows["good"]["nop_reward"] == 0.0
    assert not rows["nop-passes"]["valid"] and "nop scored 1.0" in rows["nop-passes"]["error"]
    assert not rows["malformed"]["valid"] and "invalid TOML" in rows["malformed"]["error"]


def test_suite_command_writes_summary(tmp_path):
    make_task(tmp_path / "tasks", "a")
    code = main(["suite", str(tmp_path / "tasks"), "--agent", "oracle", "-k", "2", "-n", "2",
                 "--out", str(tmp_path / "run")])
    suite = json.loads((tmp_path / "run" / "suite.json").read_text())
    assert code == 0
    assert suite["summary"]["mean_reward"] == 1.0 and suite["summary"]["trials"] == 2


def test_gc_removes_only_dead_runs(docker_client, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    made = []
    live_name = f"climb-gc-live-{uuid.uuid4().hex[:8]}"
    for owner, run, name in ((f"{owner_token(dead.pid).rsplit(':', 1)[0]}:dead", "gc-dead", None),
                             (owner_token(), "gc-live", live_name)):
        made.append(docker_client.api.create_container(
            "climb-base:bookworm", ["true"], name=name,
            labels={LABEL_MANAGED: "1", LABEL_OWNER: owner, LABEL_RUN: run}))
    # Doors (sandbox.stage) a killed run left: one of a gone container, one of the live one.
    past = time.time() - 3600
    for door in (new_door("climb-gone-trial-a1")[0], new_door(live_name)[0]):
        os.utime(door, (past, past))
    try:
        assert main(["gc"]) == 0
        assert leftover_containers(docker_client, "gc-dead") == []
        assert len(leftover_containers(docker_client, "gc-live")) == 1
        assert [p.name for p in stage_root().iterdir()] == [live_name]
        assert "removed 1 verifier door folder(s)" in capsys.readouterr().out
        assert main(["gc", "--all"]) == 0
        assert leftover_containers(docker_client, "gc-live") == []
    finally:
        for c in made:
            try:
                docker_client.api.remove_container(c["Id"], force=True)
            except Exception:
                pass


def _labelled_image(client, tag: str, labels: dict[str, str]) -> str:
    dockerfile = io.BytesIO(f"FROM climb-base:bookworm\nLABEL which={tag}\n".encode())
    image, _ = client.images.build(fileobj=dockerfile, tag=f"climb-gc-test:{tag}", labels=labels, rm=True)
    return image.id


def test_gc_images_spares_live_runs_then_removes_unused(docker_client):
    test_label = f"climb.gc_test={uuid.uuid4().hex[:8]}"
    key, value = test_label.split("=")
    labels = {LABEL_MANAGED: "1", key: value}
    unused = _labelled_image(docker_client, "unused", labels)
    used = _labelled_image(docker_client, "used", labels)
    live = docker_client.api.create_container(
        used, ["true"], labels={**labels, LABEL_OWNER: owner_token(), LABEL_RUN: "gc-img"})
    try:
        report = gc(docker_client, images=True, label=test_label)
        assert report.images_skipped and report.removed_images == []
        assert docker_client.images.get(unused)  # a live run may still need it
        report = gc(docker_client, everything=True, images=True, label=test_label)
        assert sorted(report.removed_images) == ["climb-gc-test:unused", "climb-gc-test:used"]
        assert not docker_client.images.list(filters={"label": test_label})
        assert leftover_containers(docker_client, "gc-img") == []
    finally:
        if leftover_containers(docker_client, "gc-img"):
            docker_client.api.remove_container(live["Id"], force=True)
        for image in docker_client.images.list(filters={"label": test_label}):
            docker_client.images.remove(image.id, force=True)


def test_climb_is_installed_as_a_command():
    climb = Path(sys.executable).parent / "climb"
    out = subprocess.run([str(climb), "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "tasks" in out.stdout

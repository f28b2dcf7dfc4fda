"""A Docker daemon that cannot see our door folders (it runs elsewhere: a remote host, or
the host of the container a climb runs in, with its socket mounted). Made real here with
a private mount namespace: the run's cache folder is a tmpfs only the run sees, so the
daemon refuses the door's bind mount. Trials must still verify, by upload."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from meta.cli.main import main
from tests.helpers import make_task

pytestmark = pytest.mark.docker

CLIMB = str(Path(sys.executable).with_name("climb"))


def test_a_daemon_that_cannot_see_the_door_gets_the_files_by_upload(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a private mount namespace needs root and util-linux's unshare")
    make_task(tmp_path / "tasks", "hello")
    cache = tmp_path / "private-cache"
    cache.mkdir()
    script = ('mount -t tmpfs -o size=64m tmpfs "$XDG_CACHE_HOME" && exec "$0" suite "$1" --agent oracle '
              '-k 3 -n 1 --out "$2"')
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, CLIMB,
                           str(tmp_path / "tasks"), str(tmp_path / "run")],
                          env={**os.environ, "XDG_CACHE_HOME": str(cache)}, capture_output=True, text=True,
                          timeout=300)
    ran = (tmp_path / "run" / "suite.json").exists()
    if not ran and done.stderr.startswith(("unshare:", "mount:")):
        pytest.skip(f"cannot make a private mount here: {done.stderr.strip()[-200:]}")
    assert ran, done.stderr[-2000:]
    suite = json.loads((tmp_path / "run" / "suite.json").read_text())
    assert done.returncode == 0, done.stderr[-2000:]
    assert suite["summary"]["mean_reward"] == 1.0 and suite["summary"]["trials"] == 3, suite
    assert list(cache.iterdir()) == []  # the run's doors lived only in its own namespace


def test_a_cache_folder_that_cannot_be_written_gets_the_files_by_upload(tmp_path, monkeypatch):
    """A cache path that is a file (or a full or read-only disk): no door can be made, and
    the trials say nothing of it in their scores."""
    make_task(tmp_path / "tasks", "hello")
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("not a folder\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    code = main(["suite", str(tmp_path / "tasks"), "--agent", "oracle", "-k", "2", "-n", "1",
                 "--out", str(tmp_path / "run")])
    suite = json.loads((tmp_path / "run" / "suite.json").read_text())
    assert code == 0 and suite["summary"]["mean_reward"] == 1.0 and suite["summary"]["trials"] == 2, suite

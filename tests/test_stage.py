"""The verifier's door (``sandbox.stage``) on the host side: what is written behind it,
the refusal to use it when the container does not show our file, and the sweep of the
doors a killed run left behind. (The door attacked from inside a container:
tests/attacks/test_sandbox_door.py.)"""

from __future__ import annotations

import os
import time

from sandbox.stage import fill, new_door, stage_root, sweep_doors


def _tests_dir(root):
    tests = root / "tests"
    (tests / "data").mkdir(parents=True)
    (tests / "test.sh").write_text("#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n")
    (tests / "data" / "expected.txt").write_text("hello\n")
    (tests / "data" / "expected.txt").chmod(0o600)
    (tests / "link").symlink_to("data/expected.txt")
    os.mkfifo(tests / "fifo")
    return tests


def test_a_container_that_does_not_show_our_file_gets_nothing_behind_the_door(tmp_path, monkeypatch):
    """Our own process stands in for a container whose daemon does not share our filesystem
    (a remote daemon, one in a VM): /proc/<pid>/root has no door there, so the caller uploads."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    host, inside = new_door("climb-run-trial-a1")
    assert host.parent == stage_root() and oct(host.stat().st_mode & 0o777) == "0o755"
    assert inside.startswith("/.climb-") and len(inside) == len("/.climb-") + 32
    assert fill(host, inside, _tests_dir(tmp_path), b"\x7fELF-helper", os.getpid()) is None
    assert list(host.iterdir()) == []  # nothing half-placed is left for a later reader
    assert fill(host, inside, tmp_path / "tests", b"x", 0) is None  # no init pid known


def test_a_door_whose_folder_was_swept_falls_back_to_an_upload(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    host, inside = new_door("climb-run-trial-a1")
    host.rmdir()  # `climb gc` of another process, say
    assert fill(host, inside, _tests_dir(tmp_path), b"x", os.getpid()) is None
    assert not host.exists()


def test_what_goes_behind_the_door_is_what_an_upload_would_place(tmp_path, monkeypatch):
    """Through /proc/self/root the parent's own root stands in for the container's: the door
    is then 'seen', and the placed tree is checked file by file."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    host, _ = new_door("climb-run-trial-a1")
    pack = fill(host, str(host), _tests_dir(tmp_path), b"\x7fELF-helper", os.getpid())
    assert pack is not None and pack.placed and pack.tar == b""
    placed = host / pack.folder.rsplit("/", 1)[1]
    assert pack.folder == str(placed) and pack.helper == f"{placed}/busybox"
    assert (placed / "busybox").read_bytes() == b"\x7fELF-helper"
    assert oct((placed / "busybox").stat().st_mode & 0o777) == "0o755"
    tests = placed / "tests"
    assert sorted(p.name for p in tests.iterdir()) == ["data", "link", "test.sh"]  # the fifo is left out
    assert oct((tests / "data" / "expected.txt").stat().st_mode & 0o777) == "0o755"  # readable by any verifier user
    assert os.readlink(tests / "link") == "data/expected.txt"
    assert pack.argv("both", 10, ["/tests/test.sh"])[-3:] == ["10", "cp", "/tests/test.sh"]


def test_gc_sweeps_the_doors_of_gone_containers_and_spares_new_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("gone-old", "live-old", "gone-new"):
        new_door(name)
    past = time.time() - 3600
    for name in ("gone-old", "live-old"):
        os.utime(stage_root() / name, (past, past))
    assert sweep_doors({"live-old"}) == ["gone-old"]
    assert sorted(p.name for p in stage_root().iterdir()) == ["gone-new", "live-old"]

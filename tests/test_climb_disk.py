"""A full disk, met for real: a small tmpfs holds the run folder and is filled mid-climb.

Nothing of ours is patched: the file system says ENOSPC. The climb must stop at once with a
message naming the cause, state.json as its last safe point left it (no temporary file beside
it, no half line in the ledger), and go on when resumed once there is room again. Mounting a
tmpfs needs root (CI runs the suite as root); elsewhere these tests say why they are skipped.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from durable import write_atomic
from meta.climb.errors import DiskFullError
from meta.climb.loop import Climb
from meta.climb.setup import build_context
from meta.ledger.store import Ledger
from tests.climb_helpers import FIX, make_repo, simulated_config, task_script
from tests.fakes.trials import SimulatedTrials, solves_when
from tests.test_climb_paths import COSMETIC, GOOD, events, statuses

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs, unmounted after the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write one file until the disk is full; returns it (remove it to make room again)."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    try:
        with pytest.raises(OSError):  # not even a page is left
            (folder / "probe").write_bytes(b"x" * 8192)
    finally:
        (folder / "probe").unlink(missing_ok=True)
    return filler


def test_an_atomic_write_on_a_full_disk_keeps_the_old_file_alone(small_disk):
    path = small_disk / "state.json"
    write_atomic(path, '{"exp": 1}')
    filler = fill(small_disk)
    with pytest.raises(OSError) as raised:
        write_atomic(path, json.dumps({"exp": 2, "pad": "x" * 100_000}))
    assert raised.value.errno == errno.ENOSPC
    assert path.read_text() == '{"exp": 1}'
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler.bin", "state.json"]  # no .state.json.tmp
    filler.unlink()
    write_atomic(path, '{"exp": 2}')
    assert path.read_text() == '{"exp": 2}'


def test_a_ledger_append_on_a_full_disk_leaves_no_half_line(small_disk):
    ledger = Ledger(small_disk / "run")
    ledger.append_event("first")
    size = ledger.events_path.stat().st_size
    filler = fill(small_disk)
    with pytest.raises(OSError):
        ledger.append_event("big", note="x" * 200_000)
    assert ledger.events_path.stat().st_size == size  # cut back to whole lines
    filler.unlink()
    ledger.append_event("after")
    assert [e["kind"] for e in ledger.events()] == ["first", "after"]


class FillDiskAt:
    """Plays a neighbour that fills the disk when the climb reaches an event; keeps a copy of
    state.json as it was at that moment (the last safe point)."""

    def __init__(self, disk: Path, run_dir: Path, kind: str, exp: int):
        self.disk, self.run_dir, self.kind, self.exp = disk, run_dir, kind, exp
        self.filler: Path | None = None
        self.state_then: str | None = None

    def on_event(self, event):
        if self.filler is None and event["kind"] == self.kind and event["exp"] == self.exp:
            self.state_then = (self.run_dir / "state.json").read_text()
            self.filler = fill(self.disk)

    def on_row(self, row):
        pass


async def test_a_climb_that_fills_its_disk_stops_cleanly_and_resumes(tmp_path, small_disk):
    config = simulated_config(tmp_path, [GOOD, COSMETIC], min_free_gb=0.001)
    run_dir = small_disk / "run"
    view = FillDiskAt(small_disk, run_dir, "gate", exp=1)  # the static gate passed: mid-experiment
    trials = SimulatedTrials(solves_when(FIX))
    climb = Climb(build_context(config, run_dir, "sim", resume=False, trials=trials, view=view))
    with pytest.raises(DiskFullError) as raised:
        await climb.run()
    message = str(raised.value)
    assert message.startswith("the disk is full: No space left on device")
    assert f"climb run --resume {run_dir}" in message and "last safe point" in message
    assert (run_dir / "state.json").read_text() == view.state_then  # untouched since the safe point
    assert not list(run_dir.glob(".*.tmp"))
    assert [(r.exp, r.status) for r in Ledger(run_dir).rows()] == [(0, "baseline")]
    assert Ledger(run_dir).events()  # every line whole

    view.filler.unlink()
    resumed = Climb(build_context(config, run_dir, "sim", resume=True, trials=trials))
    state = await resumed.run()
    assert statuses(resumed) == [(0, "baseline"), (1, "keep"), (2, "discard"), (2, "stop")]
    assert state.phase == "done" and len(events(resumed, "resume_run")) == 1
    assert list((run_dir / "experiments").glob("exp-0001.aborted-*"))  # the unfinished try, set aside


async def test_free_space_is_checked_before_the_baseline(tmp_path):
    trials = SimulatedTrials(solves_when(FIX))
    config = simulated_config(tmp_path, [GOOD], min_free_gb=1e9)  # no disk is that big
    climb = Climb(build_context(config, tmp_path / "run", "sim", resume=False, trials=trials))
    with pytest.raises(DiskFullError, match=r"GB free on the disk of .*min_free_gb = 1e\+09 GB") as raised:
        await climb.run()
    assert f"climb run --resume {tmp_path / 'run'}" in str(raised.value)
    assert trials.batches == [] and climb.ctx.ledger.load_state()["phase"] == "baseline"


@pytest.mark.docker
def test_climb_run_on_a_small_disk_refuses_to_start_and_exits_non_zero(tmp_path, small_disk):
    repo = make_repo(tmp_path)
    task = task_script(tmp_path / "task.json")
    meta = tmp_path / "meta.json"
    meta.write_text("[]")
    proc = subprocess.run(
        [sys.executable, "-m", "meta.cli.main", "run", str(repo / "tasks"), "--repo", str(repo),
         "--meta-model", f"scripted:{meta}", "--task-model", task, "--out", str(small_disk),
         "--no-dashboard", "--max-experiments", "1"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    assert "GB free on the disk of" in proc.stderr and "min_free_gb = 2 GB" in proc.stderr
    assert "climb run --resume" in proc.stderr and "Traceback" not in proc.stderr
    assert not list(small_disk.glob("*/baseline"))  # no trial ran


async def test_a_resume_that_finds_a_stop_file_says_so_and_how_to_go_on(tmp_path):
    trials = SimulatedTrials(solves_when(FIX))
    config = simulated_config(tmp_path, [GOOD, COSMETIC])
    run_dir = tmp_path / "run"
    climb = Climb(build_context(config, run_dir, "sim", resume=False, trials=trials))
    (run_dir / "STOP").write_text("enough\n")
    state = await climb.run()
    hint = f"stop file ({run_dir / 'STOP'}; to climb on, remove it and run climb run --resume {run_dir})"
    assert state.stop_reason == hint and statuses(climb) == [(0, "baseline"), (0, "stop")]

    resumed = Climb(build_context(config, run_dir, "sim", resume=True, trials=trials))
    state = await resumed.run()  # the file is still there: nothing more runs, and it says why
    assert state.phase == "done" and state.stop_reason == hint
    warnings = [e["message"] for e in events(resumed, "warning") if e["message"].startswith("a STOP file")]
    assert warnings[-1] == f"a STOP file is in the run folder: {hint}"

    (run_dir / "STOP").unlink()
    climbed_on = Climb(build_context(config, run_dir, "sim", resume=True, trials=trials))
    await climbed_on.run()
    assert statuses(climbed_on) == [(0, "baseline"), (0, "stop"), (1, "keep"), (2, "discard"), (2, "stop")]

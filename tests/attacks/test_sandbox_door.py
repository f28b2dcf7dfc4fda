"""The verifier's read-only door (``sandbox.stage``), attacked by the task model, root in
its container: it finds the door, but cannot write there, remount, unmount, move or remove
it; it sees the door empty while it works; a process it leaves waiting for the helper
cannot replace it; and the door's host folder goes away with the container."""

from __future__ import annotations

import pytest

from sandbox.results import TrialStatus
from sandbox.stage import stage_root
from tests.attacks.sandbox_kit import beside_honest, flagged, hello_task, task_model

pytestmark = pytest.mark.docker

PROBE = (
    "d=$(awk '$2 ~ /^[/][.]climb-/ {print $2}' /proc/mounts | head -n1); "
    "{ echo \"door=$d\"; echo \"entries=$(ls -A \"$d\" | wc -l)\"; "
    "touch \"$d/planted\" && echo ESCAPED-wrote-file; mkdir \"$d/v-0\" && echo ESCAPED-wrote-dir; "
    "mount -o remount,rw \"$d\" && echo ESCAPED-remounted; umount \"$d\" && echo ESCAPED-unmounted; "
    "mv \"$d\" /moved && echo ESCAPED-moved; rmdir \"$d\" && echo ESCAPED-removed; } > /logs/agent/door.txt 2>&1"
)
# Waits for the helper to appear behind the door, then tries to swap it for /bin/true
# (which would "verify" without running test.sh) and records what it saw.
SWAPPER = (
    "nohup sh -c 'until ls /.climb-*/v-*/busybox >/dev/null 2>&1; do sleep 0.002; done; "
    "for f in /.climb-*/v-*/busybox; do echo \"saw $f\"; cp /bin/true \"$f\" && echo ESCAPED-swapped; "
    "rm -f \"$f\" && echo ESCAPED-deleted; done > /logs/agent/swap.txt 2>&1' >/dev/null 2>&1 &"
)


async def test_the_door_is_empty_and_read_only_to_the_agent(tmp_path, runner):
    task = hello_task(tmp_path)
    prober, swapper = task_model(tmp_path, "door-probe", [PROBE]), task_model(tmp_path, "door-swap", [SWAPPER])
    (probe, swap), honest = await beside_honest(runner, tmp_path / "run", task, [prober, swapper])

    seen = (tmp_path / "run" / "trials" / probe.trial_id / "agent" / "door.txt").read_text()
    door = seen.splitlines()[0].removeprefix("door=")
    assert door.startswith("/.climb-") and len(door) > 30, seen
    assert "entries=0" in seen, seen  # nothing of the verifier's is there while the agent works
    assert "ESCAPED" not in seen, seen
    assert "Read-only file system" in seen, seen

    # The racer saw the helper behind the door and could neither replace nor delete it:
    # the real test ran and scored the agent's (empty) work.
    raced = (tmp_path / "run" / "trials" / swap.trial_id / "agent" / "swap.txt").read_text()
    assert raced.startswith("saw /.climb-") and "/v-" in raced, raced
    assert "ESCAPED" not in raced and "Read-only file system" in raced, raced
    for result in (probe, swap):
        assert (result.status, result.reward, result.verifier_exit_code) == (TrialStatus.OK, 0.0, 0), result.error
        assert not any(path.startswith("/.climb-") for path in flagged(result)), flagged(result)
    assert any("until ls /.climb-" in command for command in swap.tamper.left_running)

    # Every door's host folder went with its container.
    left = [p.name for p in stage_root().iterdir() if runner.run_id in p.name] if stage_root().is_dir() else []
    assert left == [], left
    assert honest.reward == 1.0

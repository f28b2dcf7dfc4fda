"""/logs read on this host from the container's root (``sandbox.rootfs``), attacked by the
task model, root in its container with CAP_MKNOD: a fifo that would block a reader for
ever, a device node that would reach the host's device if opened from the host, a link to
a host file (meaningless inside, real outside), a folder chain deeper than the cap, and a
racer swapping a name between a file and that link while the parent reads."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.results import TrialStatus
from tests.attacks.sandbox_kit import assert_untouched, beside_honest, canary, hello_task, task_model

pytestmark = pytest.mark.docker


async def test_what_the_agent_leaves_in_logs_is_read_without_following_or_opening_it(tmp_path, runner):
    host = canary(tmp_path)
    target = host / "canary.txt"
    deep = "/logs/agent/deep/" + "/".join(["d"] * 70)
    commands = [
        "mkfifo /logs/agent/fifo && mknod /logs/agent/random c 1 8 && echo ok > /logs/agent/ok.txt",
        f"ln -s {target} /logs/agent/canary-link && mkdir -p {deep} && echo bottom > {deep}/bottom.txt",
        (f"nohup sh -c 'while :; do ln -sfn {target} /logs/agent/swap; echo mine > /logs/agent/swap.new; "
         "mv -f /logs/agent/swap.new /logs/agent/swap; done' >/dev/null 2>&1 &"),
    ]
    attacker = task_model(tmp_path, "logs-nodes", commands)
    (result,), honest = await asyncio.wait_for(beside_honest(runner, tmp_path / "run", hello_task(tmp_path),
                                                             [attacker]), 180)  # a fifo opened would hang here
    assert (result.status, result.reward) == (TrialStatus.OK, 0.0), result.error

    agent_dir = tmp_path / "run" / "trials" / result.trial_id / "agent"
    assert (agent_dir / "ok.txt").read_text() == "ok\n"  # the ordinary file came out
    for name in ("fifo", "random", "canary-link"):
        assert not (agent_dir / name).exists() and not (agent_dir / name).is_symlink(), name
    swap = agent_dir / "swap"
    assert not swap.is_symlink() and (not swap.exists() or swap.read_text() == "mine\n")
    assert not any(p.is_file() and "untouched" in p.read_text(errors="replace") for p in agent_dir.rglob("*"))
    assert not any(p.name == "bottom.txt" for p in agent_dir.rglob("*"))
    copy = next(w for w in result.warnings if w.startswith("copying /logs:"))
    # The fifo, the device and the cut chain: the chain is cut only by this host's reader
    # (Docker's tar has every level, and bottom.txt would have come out): it was used.
    assert "3 unsafe entries dropped" in copy, copy
    assert_untouched(host)
    assert honest.reward == 1.0

"""Links left for the parent to follow: in the jail's log folder (the host's agent/ folder),
in the container's /logs and in artifacts; symbolic (file and folder forms) and hard."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from sandbox.results import TrialStatus
from tests.attacks.sandbox_kit import agent_py, assert_untouched, beside_honest, canary, hello_task, task_model

pytestmark = pytest.mark.docker


def links_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_symlink())


async def test_links_from_the_jail_and_the_container_are_never_followed(tmp_path, runner):
    host = canary(tmp_path)
    task = hello_task(tmp_path, toml='artifacts = ["/app/art", "/app/artdir"]\n[agent]\ntimeout_sec = 60\n'
                                     '[environment]\nnetwork_mode = "no-network"\n')
    jail_links = agent_py(tmp_path, "jail-links", f"""
        C = {str(host)!r}
        async def run(ctx):
            # In the jail: /logs/agent is a capped tmpfs the parent copies to this trial's agent/ folder.
            os.symlink(C, "/logs/agent/dirlink")                       # folder form
            os.symlink(C + "/planted.pth", "/logs/agent/filelink.pth")  # file form, dangling
            os.symlink(C + "/canary.txt", "/logs/agent/existing.txt")   # file form, to a host file
            try:
                os.link("/usr/bin/env", "/logs/agent/hard")            # across mounts: refused
            except OSError:
                pass
            # In the container: real files and folders at the same names, for a merge to write through.
            r = await ctx.env.run("mkdir -p /logs/agent/dirlink && echo pwned > /logs/agent/dirlink/evil.pth"
                                  " && echo pwned > /logs/agent/filelink.pth && echo pwned > /logs/agent/existing.txt"
                                  " && echo pwned > /logs/agent/hard")
            assert r.exit_code == 0, r.output
    """)
    container_links = task_model(tmp_path, "container-links", [
        (f"ln -s {host} /logs/agent/c-dir && ln -s {host}/c.txt /logs/agent/c-file && ln /etc/passwd /logs/agent/c-hard"
        " && echo x > /logs/agent/h1 && ln /logs/agent/h1 /logs/agent/h2"),
        f"ln -s {host} /logs/artifacts/a-dir && ln -s /etc/shadow /logs/artifacts/a-file",
        f"mkdir -p /app && ln -s {host} /app/art && mkdir -p /app/artdir && ln -s {host}/x /app/artdir/inner",
    ])
    (jail, container), _honest = await beside_honest(runner, tmp_path / "run", task, [jail_links, container_links])
    assert_untouched(host)
    for result in (jail, container):
        assert (result.status, result.reward) == (TrialStatus.OK, 0.0), result.error
        trial = Path(result.trial_dir)
        assert links_in(trial) == [], result.trial_dir
    jail_dir = Path(jail.trial_dir) / "agent"
    # The jail's links are gone before /logs is copied (so no later reader of the trial folder
    # is led outside), and the container's files at those names land inside the trial folder.
    assert (jail_dir / "dirlink").is_dir() and not (jail_dir / "dirlink").is_symlink()
    assert (jail_dir / "dirlink" / "evil.pth").read_text() == "pwned\n"
    assert any("dirlink: a symbolic link, not copied" in w for w in jail.warnings), jail.warnings
    trial = Path(container.trial_dir)
    # A hard link to a file outside /logs arrives as that file's (container) content; one
    # inside the archive arrives as a link entry and is dropped.
    assert (trial / "agent" / "c-hard").read_text().startswith("root:x:0:0")
    assert (trial / "agent" / "h1").read_text() == "x\n" and not (trial / "agent" / "h2").exists()
    assert any("links dropped" in w for w in container.warnings)


async def test_a_link_planted_after_the_trial_started_is_not_written_through(tmp_path, runner):
    """The file form through the task model: trajectory.json and the agent's stdout are
    the parent's; a container file of the same name must not replace or follow them."""
    host = canary(tmp_path)
    task = hello_task(tmp_path)
    attacker = task_model(tmp_path, "same-names", [
        "echo forged > /logs/agent/trajectory.json && echo forged > /logs/agent/agent-stdout.txt",
        f"ln -sf {host}/canary.txt /logs/agent/agent-stderr.txt",
    ])
    (result,), _ = await beside_honest(runner, tmp_path / "run", task, [attacker])
    assert_untouched(host)
    agent_dir = Path(result.trial_dir) / "agent"
    assert json.loads((agent_dir / "trajectory.json").read_text())["steps"]  # the runtime's, not "forged"
    assert not (agent_dir / "agent-stderr.txt").is_symlink()
    assert (agent_dir / "agent-stdout.txt").read_text() != "forged\n"


async def test_the_parent_never_reads_or_appends_through_the_jails_own_log_files(tmp_path, runner):
    """The parent reads agent-stderr.txt for a crash's cause and appends to it when agent.py
    lingers: a link to a host file, or a fifo, at that name in the jail's log folder is
    neither read nor written, nor copied over the parent's own file."""
    host = canary(tmp_path)
    (host / "canary.txt").write_text("untouched\n")
    task = hello_task(tmp_path, toml="[agent]\ntimeout_sec = 30\n[verifier]\ntimeout_sec = 30\n")
    swap = textwrap.dedent(f"""
        C = {str(host)!r}
        def swap(kind):
            if os.path.lexists("/logs/agent/agent-stderr.txt"):  # the parent's file lives outside the jail
                os.unlink("/logs/agent/agent-stderr.txt")
            if kind == "fifo":
                os.mkfifo("/logs/agent/agent-stderr.txt")
            else:
                os.symlink(C + "/canary.txt", "/logs/agent/agent-stderr.txt")
    """)
    crash = "async def run(ctx):\n    swap({!r})\n    raise SystemExit(1)\n"
    crash_link = agent_py(tmp_path, "crash-link", swap + crash.format("link"))
    crash_fifo = agent_py(tmp_path, "crash-fifo", swap + crash.format("fifo"))
    linger = agent_py(tmp_path, "linger-link", swap + (
        "import threading, time\n"
        "async def run(ctx):\n"
        "    swap('link')\n"
        "    threading.Thread(target=time.sleep, args=(3600,)).start()\n"))
    results, _ = await beside_honest(runner, tmp_path / "run", task, [crash_link, crash_fifo, linger])
    assert_untouched(host)
    for result in results:
        assert "untouched" not in (result.error or "") and "Error" not in (result.error or ""), result.error
        assert result.timings.agent_s < 20, result.agent  # a fifo read would have hung the parent
    assert [r.status for r in results] == [TrialStatus.AGENT_ERROR, TrialStatus.AGENT_ERROR, TrialStatus.OK], \
        [r.error for r in results]


async def test_the_live_trajectory_copy_follows_nothing_and_blocks_on_nothing(tmp_path, runner):
    """While agent.py runs, the parent copies the jail's trajectory.json out for `climb spot`:
    a link to a host file or a fifo at that name is not copied (nor read, nor waited on), and
    the trial folder ends with the runtime's own trajectory or none. (An oversized file cannot
    be made: the jail's file-size limit refuses it; the copy skips one anyway.)"""
    host = canary(tmp_path)
    task = hello_task(tmp_path, toml="[agent]\ntimeout_sec = 30\n")
    names = {"link": f"os.symlink({str(host / 'canary.txt')!r}, T)", "fifo": "os.mkfifo(T)"}
    attackers = [agent_py(tmp_path, f"live-{kind}", f"""
        import time
        T = "/logs/agent/trajectory.json"
        async def run(ctx):
            if os.path.lexists(T):
                os.unlink(T)
            {plant}
            time.sleep(3)  # several of the parent's looks
            os.unlink(T)
    """) for kind, plant in names.items()]
    results, _ = await beside_honest(runner, tmp_path / "run", task, attackers)
    assert_untouched(host)
    for result in results:
        assert (result.status, result.reward) == (TrialStatus.OK, 0.0), result.error
        assert result.timings.agent_s < 20
        live = Path(result.trial_dir) / "agent" / "trajectory.json"
        assert not live.is_symlink() and "untouched" not in (live.read_text() if live.exists() else "")
        assert not list((Path(result.trial_dir) / "agent").glob(".*.live"))

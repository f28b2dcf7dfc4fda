"""The jail's file system: read-only outside three capped places, logs copied out without following links."""

from __future__ import annotations

import json
import os
import stat

import pytest

from sandbox.results import TrialStatus
from task_agent.jail import JailConfig
from tests.attacks.jail_helpers import canary, findings, hostile, run_one, runtime_digest

pytestmark = pytest.mark.docker

MiB = 1024 * 1024


async def test_nothing_outside_the_three_places_is_writable(tmp_path, runner):
    target, content = canary(tmp_path)
    before = runtime_digest()
    agent = hostile(tmp_path, "write_everywhere", f"""
        import errno
        OUTSIDE = ["/x.txt", "/fill.bin", "/usr/x", "/usr/bin/python3", "/opt/python/x", "/rt/x.py",
                   "/rt/task_agent/runtime.py", "/agent/agent.py", "/agent/x", "/dev/x", "/logs/x", "/etc/x",
                   "/proc/sys/kernel/hostname", {str(target)!r}, {str(tmp_path / "new.txt")!r}]
        INSIDE = ["/tmp/ok", "/logs/agent/ok", "/dev/shm/ok"]

        def attempt(path):
            try:
                with open(path, "a") as out:
                    out.write("pwned")
                return "written"
            except OSError as exc:
                return errno.errorcode.get(exc.errno, str(exc.errno))

        def make_folder(path):
            try:
                os.mkdir(path)
                return "made"
            except OSError as exc:
                return errno.errorcode.get(exc.errno, str(exc.errno))

        async def run(ctx):
            report({{"outside": {{p: attempt(p) for p in OUTSIDE}},
                     "folders": {{p: make_folder(p) for p in ["/newdir", "/usr/newdir", "/rt/newdir", "/opt/newdir"]}},
                     "inside": {{p: attempt(p) for p in INSIDE}}}})
    """)
    result, trial_dir = await run_one(tmp_path, runner, agent)
    assert result.status == TrialStatus.OK, result.error
    seen = findings(trial_dir)
    assert seen["inside"] == {p: "written" for p in seen["inside"]}  # the places that should work do
    assert "written" not in seen["outside"].values(), seen["outside"]
    assert "made" not in seen["folders"].values(), seen["folders"]
    assert target.read_text() == content and not (tmp_path / "new.txt").exists()
    assert runtime_digest() == before and agent.read_text().count("pwned") == 1  # only its own source says it


async def test_filling_each_place_stops_at_its_cap_and_the_trial_goes_on(tmp_path, runner):
    jail = JailConfig(tmp_mb=8, logs_mb=6, shm_mb=4, max_file_mb=2)
    agent = hostile(tmp_path, "fill", """
        import errno
        BLOCK = b"x" * (1024 * 1024)

        def fill(folder):
            written, index = 0, 0
            while True:
                try:
                    with open(f"{folder}/fill{index}", "wb") as out:
                        out.write(BLOCK)
                        out.flush()
                    written, index = written + len(BLOCK), index + 1
                except OSError as exc:
                    return [written, errno.errorcode.get(exc.errno)]
                if index > 2000:
                    return [written, "no limit"]

        def one_big_file():
            written = 0
            try:
                with open("/tmp/big", "wb", buffering=0) as out:
                    while written < 64 * len(BLOCK):
                        written += out.write(BLOCK[:65536])
            except OSError as exc:
                return [written, errno.errorcode.get(exc.errno)]
            return [written, "no limit"]

        async def run(ctx):
            big = one_big_file()
            os.remove("/tmp/big")
            try:
                for _ in range(20):
                    sys.stdout.buffer.write(BLOCK)
                    sys.stdout.flush()
                out = "no limit"
            except OSError as exc:
                out = errno.errorcode.get(exc.errno)
            places = {p: fill(p) for p in ("/tmp", "/dev/shm")}
            big_log = fill("/logs/agent")  # last: its files fill the folder findings.json goes into
            for index in range(3):
                os.remove(f"/logs/agent/fill{index}")
            report({"places": {**places, "/logs/agent": big_log}, "big": big, "stdout": out})
    """)
    result, trial_dir = await run_one(tmp_path, runner, agent, jail=jail)
    assert result.status == TrialStatus.OK, result.error
    seen = findings(trial_dir)
    for place, cap_mb in jail.places().items():
        written, error = seen["places"][place]
        assert error == "ENOSPC" and (cap_mb - 1) * MiB <= written <= cap_mb * MiB, (place, written, error)
    assert seen["big"] == [2 * MiB, "EFBIG"] and seen["stdout"] == "EFBIG"
    assert (trial_dir / "agent" / "agent-stdout.txt").stat().st_size == 2 * MiB
    copied = sum(p.stat().st_size for p in (trial_dir / "agent").rglob("*") if p.is_file())
    assert copied <= (jail.logs_mb + 2 * jail.max_file_mb) * MiB


async def test_too_many_files_end_the_trial_as_the_agents_error(tmp_path, runner):
    agent = hostile(tmp_path, "inodes", """
        async def run(ctx):
            index = 0
            while True:
                open(f"/tmp/f{index}", "w").close()
                index += 1
    """)
    result, _ = await run_one(tmp_path, runner, agent, jail=JailConfig(max_files=3000))
    assert (result.status, result.error_kind) == (TrialStatus.AGENT_ERROR, "jail_limit"), result.error
    assert "/tmp" in result.error and "max_files" in result.error
    assert result.timings.agent_s < 15


async def test_links_in_the_log_folder_are_not_followed_or_copied(tmp_path, runner):
    target, content = canary(tmp_path)
    host_folder = target.parent
    agent = hostile(tmp_path, "links", f"""
        async def run(ctx):
            logs = "/logs/agent"
            with open(f"{{logs}}/real.txt", "w") as out:
                out.write("mine")
            os.link(f"{{logs}}/real.txt", f"{{logs}}/twin.txt")
            crossing = {{}}
            for source in ("/usr/bin/env", "/rt/task_agent/runtime.py", "/agent/agent.py", "/tmp"):
                try:
                    os.link(source, f"{{logs}}/hard-{{os.path.basename(source)}}")
                    crossing[source] = "linked"
                except OSError as exc:
                    crossing[source] = exc.strerror
            with open(f"{{logs}}/crossing.json", "w") as out:
                json.dump(crossing, out)
            os.symlink({str(target)!r}, f"{{logs}}/canary.txt")
            os.symlink("/etc/passwd", f"{{logs}}/passwd")
            os.symlink({str(host_folder)!r}, f"{{logs}}/hostdir")
            os.symlink("/", f"{{logs}}/root")
            os.mkfifo(f"{{logs}}/pipe")
            os.makedirs(f"{{logs}}/sub/deeper")
            os.symlink("../../real.txt", f"{{logs}}/sub/deeper/up")
            with open(f"{{logs}}/sub/deeper/note.txt", "w") as out:
                out.write("deep")
            # a file the parent writes itself must stay the parent's
            with open(f"{{logs}}/agent-stdout.txt", "w") as out:
                out.write("forged")
    """)
    result, trial_dir = await run_one(tmp_path, runner, agent)
    assert result.status == TrialStatus.OK, result.error
    logs = trial_dir / "agent"
    for path in logs.rglob("*"):
        mode = os.lstat(path).st_mode
        assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), path
    assert (logs / "real.txt").read_text() == "mine" and (logs / "sub" / "deeper" / "note.txt").read_text() == "deep"
    for name in ("twin.txt", "canary.txt", "passwd", "hostdir", "root", "pipe", "sub/deeper/up"):
        assert not os.path.lexists(logs / name), name
    assert (logs / "agent-stdout.txt").read_text() != "forged"
    # a hard link cannot leave its file system: nothing of the host can be linked into the log folder
    assert "linked" not in json.loads((logs / "crossing.json").read_text()).values()
    assert target.read_text() == content and sorted(os.listdir(host_folder)) == [target.name]
    notes = " ".join(result.warnings)
    assert "passwd: a symbolic link, not copied" in notes and "twin.txt: another name" in notes


async def test_sparse_files_cannot_blow_up_the_copy(tmp_path, runner):
    jail = JailConfig(logs_mb=4, max_file_mb=2)
    agent = hostile(tmp_path, "sparse", """
        async def run(ctx):
            for index in range(40):  # each 2 MiB long and empty: 80 MiB on copying, nothing in the tmpfs
                with open(f"/logs/agent/sparse{index}", "wb") as out:
                    out.truncate(2 * 1024 * 1024)
    """)
    result, trial_dir = await run_one(tmp_path, runner, agent, jail=jail)
    assert result.status == TrialStatus.OK, result.error
    copied = sum(p.stat().st_size for p in (trial_dir / "agent").glob("sparse*"))
    assert copied <= jail.logs_mb * MiB
    assert any("would pass the copy's limit" in w for w in result.warnings)

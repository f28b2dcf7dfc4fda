"""The environment contract, run against a real Docker container."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from sandbox.docker import LABEL_RUN, ContainerSpec, DockerContainer
from sandbox.stage import new_door
from tests.conftest import leftover_containers

pytestmark = pytest.mark.docker

IMAGE = "climb-base:bookworm"


@pytest.fixture
def exec_share(box) -> int:
    """Agent commands one trial's environment runs at once (the rest wait in its queue)."""
    return box.spec.execs_at_once


@pytest.fixture(params=["docker-reads", "door"])
async def box(docker_client, request):
    """A container whose files come out through Docker's archive API, and one with the
    verifier's door, whose files are read on this host (``sandbox.rootfs``): one contract."""
    run_id = f"contract-{secrets.token_hex(3)}"
    name = f"climb-{run_id}"
    door = new_door(name) if request.param == "door" else None
    spec = ContainerSpec(image=IMAGE, name=name, labels={LABEL_RUN: run_id},
                         network_disabled=True, memory_mb=256, workdir="/tmp",
                         env={"GREETING": "hi"}, stage_host=str(door[0]) if door else None,
                         stage_at=door[1] if door else None)
    container = await DockerContainer.start(docker_client, spec)
    yield container
    await container.remove()
    assert leftover_containers(docker_client, run_id) == []
    assert door is None or not door[0].exists()  # the door's host folder went with it


async def test_exit_codes_and_streams_are_data(box):
    result = await box.exec("echo out; echo err >&2; exit 3")
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.ok and not result.timed_out


async def test_env_cwd_user(box):
    result = await box.exec("echo $GREETING $EXTRA; pwd; id -u", env={"EXTRA": "there"})
    assert result.stdout.split() == ["hi", "there", "/tmp", "0"]
    result = await box.exec("pwd; id -un", cwd="/usr", user="nobody")
    assert result.stdout.split() == ["/usr", "nobody"]


async def test_bash_semantics(box):
    result = await box.exec("set -o pipefail; false | true; echo ${BASH_VERSION:+bash}")
    assert result.stdout.strip() == "bash"


async def test_timeout_kills_command_and_children(box):
    started = time.monotonic()
    result = await box.exec("sleep 300 & sleep 301 & wait", timeout=1)
    assert result.timed_out
    assert time.monotonic() - started < 10
    left = await box.exec("ps -eo args")
    assert left.ok and "ps -eo args" in left.stdout  # ps itself is listed: the check below is real
    assert not [line for line in left.stdout.splitlines() if line.startswith(("sleep 300", "sleep 301"))]


async def test_timeout_that_ignores_sigterm_is_killed(box):
    result = await box.exec("trap '' TERM; sleep 100", timeout=1)
    assert result.timed_out and result.duration_s < 15


async def test_upload_download_round_trip(box, tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)))
    (src / "run.sh").write_text("#!/bin/bash\necho ran\n")
    (src / "run.sh").chmod(0o755)
    await box.upload(src, "/data/in")
    listing = await box.exec("cd /data/in && find . -type f | sort && ./run.sh", user="nobody")
    assert listing.stdout.split() == ["./a.txt", "./run.sh", "./sub/b.bin", "ran"]
    await box.download("/data/in", tmp_path / "back")
    back = tmp_path / "back" / "in"
    assert (back / "a.txt").read_text() == "alpha\n"
    assert (back / "sub" / "b.bin").read_bytes() == bytes(range(256))
    single = tmp_path / "one.txt"
    single.write_text("solo")
    await box.upload(single, "/data/solo.txt")
    assert await box.read_file("/data/solo.txt") == b"solo"
    await box.write_file("/data/w.txt", b"written")
    assert (await box.exec("cat /data/w.txt")).stdout == "written"


async def test_download_skips_links_escaping_the_folder(box, tmp_path):
    await box.exec("mkdir -p /out && echo ok > /out/real && ln -s /etc/passwd /out/evil && ln -s ../../x /out/up")
    await box.download("/out", tmp_path)
    assert (tmp_path / "out" / "real").read_text() == "ok\n"
    assert not (tmp_path / "out" / "evil").exists()
    assert not (tmp_path / "out" / "up").is_symlink()


async def test_no_network_really_has_no_network(box):
    result = await box.exec(
        "python3 -c \"import socket; s=socket.create_connection(('deb.debian.org', 80), timeout=3)\"",
        timeout=20,
    )
    assert result.exit_code != 0
    interfaces = await box.exec("ls /sys/class/net")
    assert interfaces.stdout.split() == ["lo"]


async def test_memory_limit_enforced(box):
    result = await box.exec("python3 -c \"b = bytearray(600 * 1024 * 1024); print('allocated')\"", timeout=60)
    assert result.exit_code != 0
    assert "allocated" not in result.stdout


async def test_output_is_captured_whole(box):
    result = await box.exec("seq 1 200000")
    assert result.stdout.count("\n") == 200000 and not result.truncated


async def test_teardown_is_fast_and_leaves_nothing(docker_client):
    run_id = f"teardown-{secrets.token_hex(3)}"
    spec = ContainerSpec(image=IMAGE, name=f"climb-{run_id}", labels={LABEL_RUN: run_id})
    container = await DockerContainer.start(docker_client, spec)
    await container.exec("sleep 1000 &")
    started = time.monotonic()
    await container.remove()
    await container.remove()  # idempotent
    assert time.monotonic() - started < 5  # a graceful stop would wait 10 s
    assert leftover_containers(docker_client, run_id) == []


async def test_exec_argv_runs_no_shell_and_no_path_lookup(box):
    await box.exec("printf '#!/bin/sh\\necho wrapped\\n' > /usr/local/bin/id && chmod 755 /usr/local/bin/id")
    assert (await box.exec("id")).stdout == "wrapped\n"  # bash -c looks up PATH: the agent's
    result = await box.exec_argv(["/usr/bin/id", "-u"])
    assert (result.exit_code, result.stdout) == (0, "0\n")
    result = await box.exec_argv(["/bin/echo", "$HOME", ";", "id"])
    assert (result.exit_code, result.stdout) == (0, "$HOME ; id\n")  # no shell: arguments stay words
    with pytest.raises(ValueError, match="absolute"):
        await box.exec_argv(["true"])
    missing = await box.exec_argv(["/nonexistent/helper"])
    # Docker's exec API says 126; a backend whose exec goes through a shell's exec (Harbor's) says 127.
    assert missing.exit_code in (126, 127) and "no such file" in (missing.stdout + missing.stderr).lower()


async def test_archives_in_and_out_run_nothing_in_the_container(box, tmp_path):
    # Wrappers that would record being run: neither archive call may trigger them.
    for tool in ("tar", "cat", "sh", "bash", "base64"):
        await box.exec(f"printf '#!/bin/dash\\necho {tool} >> /ran\\nexec /usr/bin/{tool} \"$@\"\\n' > "
                       f"/usr/local/bin/{tool} && chmod 755 /usr/local/bin/{tool}")
    await box.exec_argv(["/usr/bin/rm", "-f", "/ran"])  # creating the wrappers ran the bash one
    await box.write_file("/data/x.txt", b"payload")
    assert await box.get_archive("/data", lambda stream: b"payload" in b"".join(stream))
    assert await box.read_file("/data/x.txt") == b"payload"
    with pytest.raises(FileNotFoundError):
        await box.get_archive("/no/such/path", lambda stream: None)
    ran = await box.exec_argv(["/usr/bin/test", "-e", "/ran"])
    assert ran.exit_code == 1


async def test_audit_capabilities(box):
    await box.exec("echo x > /usr/local/bin/newcmd && rm /usr/bin/base64 && echo y >> /etc/hostname.bak; "
                   "nohup sleep 777 >/dev/null 2>&1 &")
    changes = {(c.path, c.kind.value) for c in await box.changes()}
    assert {("/usr/local/bin/newcmd", "added"), ("/usr/bin/base64", "deleted")} <= changes
    assert "/usr" not in {path for path, _ in changes}  # a folder holding changes is not itself one
    assert (await box.stat("/bin")).link_target == "/usr/bin" and await box.stat("/no/such") is None
    assert any("sleep 777" in p for p in await box.processes())
    assert not any("sleep 14400" in p for p in await box.processes())  # the main process is not listed
    assert await box.running()


async def test_agent_commands_are_bounded_per_container(box, exec_share):
    """A trial's commands beyond its share wait in its own queue (the share is TrialConfig.execs_at_once)."""
    spans = []
    started = time.monotonic()
    results = await asyncio.gather(*(box.exec("date +%s.%N; sleep 1; date +%s.%N", timeout=30)
                                     for _ in range(exec_share * 2)))
    for result in results:
        begin, end = (float(x) for x in result.stdout.split())
        spans.append((begin, end))
    most = max(sum(1 for b, e in spans if b <= t < e) for t, _ in spans)
    assert most <= exec_share
    assert time.monotonic() - started >= 2  # two rounds, not one

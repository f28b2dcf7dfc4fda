"""Our Environment contract, run against a Harbor environment (harbor:docker).

The contract tests are the very ones ``test_environment_contract`` runs against our own
Docker containers, imported here so both backends answer to one suite. Those left out
do not apply, and why:

- ``test_no_network_really_has_no_network``: Harbor's Docker environment cannot isolate
  offline (its egress sidecar comes from a registry), so the box is public; its
  preflight must refuse a no-network task instead (tested below);
- ``test_archives_in_and_out_run_nothing_in_the_container``: a provider offers only its
  exec, which starts the sandbox's own shell; archives are packed by the sandbox's tar
  (the README says so);
- ``test_audit_capabilities``: a provider has no diff of its sandbox against the image,
  so a Harbor environment is not ``Auditable`` (tested below: trials say the audit is
  unavailable);
- ``test_teardown_is_fast_and_leaves_nothing``: made for our containers;
  ``test_stop_is_fast_and_leaves_nothing`` below is its Harbor twin.
"""

from __future__ import annotations

import secrets
import time

import docker
import pytest

from sandbox.docker import LABEL_RUN
from sandbox.environment import Auditable
from sandbox.harbor_backend import HarborBackend, HarborEnvConfig
from sandbox.task import load_task
from tests.harbor_helpers import harbor_ready  # noqa: F401 - fixture
from tests.helpers import make_task
from tests.test_environment_contract import (  # noqa: F401 - collected here against the harbor box
    test_agent_commands_are_bounded_per_container,
    test_bash_semantics,
    test_download_skips_links_escaping_the_folder,
    test_env_cwd_user,
    test_exec_argv_runs_no_shell_and_no_path_lookup,
    test_exit_codes_and_streams_are_data,
    test_memory_limit_enforced,
    test_output_is_captured_whole,
    test_timeout_kills_command_and_children,
    test_timeout_that_ignores_sigterm_is_killed,
    test_upload_download_round_trip,
)

pytestmark = [pytest.mark.docker, pytest.mark.harbor]

BOX_TOML = """[agent]
timeout_sec = 60
[environment]
network_mode = "public"
workdir = "/tmp"
memory_mb = 256
env = { GREETING = "hi" }
"""


def _leftovers(run_id: str) -> list[str]:
    client = docker.from_env()
    return [c.name for c in client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"})]


@pytest.fixture
def exec_share(box) -> int:
    return box.execs_at_once


@pytest.fixture
async def box(tmp_path, harbor_ready):  # noqa: F811
    task = load_task(make_task(tmp_path / "tasks", "box", toml=BOX_TOML,
                               dockerfile="FROM climb-base:bookworm\n"))
    run_id = f"hbox-{secrets.token_hex(3)}"
    backend = HarborBackend(HarborEnvConfig.parse("harbor:docker"), run_id)
    started = await backend.start(task, f"climb-{run_id}", tmp_path / "scratch")
    yield started.env
    await backend.stop(started.env)
    assert _leftovers(run_id) == []


async def test_stop_is_fast_and_leaves_nothing(tmp_path, harbor_ready):  # noqa: F811
    task = load_task(make_task(tmp_path / "tasks", "t", toml=BOX_TOML, dockerfile="FROM climb-base:bookworm\n"))
    run_id = f"hstop-{secrets.token_hex(3)}"
    backend = HarborBackend(HarborEnvConfig.parse("harbor:docker"), run_id)
    started = await backend.start(task, f"climb-{run_id}", tmp_path / "scratch")
    assert started.user == "root" and started.workdir == "/tmp"
    assert _leftovers(run_id), "our labels must be on Harbor's container (climb gc finds it by them)"
    await started.env.exec("sleep 1000 &")
    began = time.monotonic()
    await backend.stop(started.env)
    assert time.monotonic() - began < 8  # without an init process, compose waits 10 s for sleep
    assert _leftovers(run_id) == []


async def test_no_audit_and_no_host_folder_inside(box):
    assert not isinstance(box, Auditable)  # trials record the audit as unavailable
    # Harbor's Docker environment can bind /logs to this host's folders; ours never asks it to.
    mounts = await box.exec("cat /proc/self/mountinfo")
    assert mounts.ok and " / / " in mounts.stdout  # the listing is real: it shows the root
    assert [line for line in mounts.stdout.splitlines() if " /logs" in line] == []


PLUGIN = "harbor:tests.fakes.harbor_plugin:PublicOnlyDocker"


def test_preflight_names_the_task_and_provider_it_cannot_serve(tmp_path, harbor_ready):  # noqa: F811
    offline = make_task(tmp_path / "tasks", "sealed")  # helpers' default: no-network
    public = make_task(tmp_path / "tasks", "open", toml=BOX_TOML)
    backend = HarborBackend(HarborEnvConfig.parse(PLUGIN), "preflight")  # a provider without isolation
    problems = backend.preflight([load_task(offline), load_task(public)])
    assert list(problems) == ["sealed"]
    assert f"task sealed cannot run on {PLUGIN}" in problems["sealed"]
    assert "no-network" in problems["sealed"]


async def test_argv_exec_archives_both_ways_and_liveness(tmp_path, harbor_ready):  # noqa: F811
    import io
    import tarfile

    task = load_task(make_task(tmp_path / "tasks", "t", toml=BOX_TOML, dockerfile="FROM climb-base:bookworm\n"))
    backend = HarborBackend(HarborEnvConfig.parse("harbor:docker"), f"hargv-{secrets.token_hex(3)}")
    started = await backend.start(task, f"climb-hargv-{secrets.token_hex(3)}", tmp_path / "scratch")
    env = started.env
    try:
        result = await env.exec_argv(["/bin/sh", "-c", 'echo "$0 $1" in $(pwd)', "a b", "c"], cwd="/usr")
        assert (result.exit_code, result.stdout) == (0, "a b c in /usr\n")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, data in (("drop/one.txt", b"1"), ("drop/big.bin", bytes(range(256)) * 400)):
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
        await env.put_archive(buf.getvalue(), "/opt")  # 100 KiB: through the provider's own copy
        listing = await env.exec("cat /opt/drop/one.txt; echo; stat -c %s /opt/drop/big.bin")
        assert listing.stdout.split() == ["1", "102400"]

        def names(chunks) -> list[str]:
            with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
                return sorted(tar.getnames())

        assert await env.get_archive("/opt/drop", names) == ["drop", "drop/big.bin", "drop/one.txt"]
        with pytest.raises(FileNotFoundError):
            await env.get_archive("/opt/none", names)
        assert await env.running()
    finally:
        await env.remove()
    assert not await env.running()

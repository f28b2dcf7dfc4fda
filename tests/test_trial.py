"""The trial lifecycle on real Docker: statuses, timeouts, users, build failures."""

from __future__ import annotations

import asyncio
import typing
from pathlib import Path

import pytest

from sandbox.agents import AgentError, AgentOutcome, NopAgent, OracleAgent
from sandbox.environment import InfraError
from sandbox.results import TrialStatus, read_result
from sandbox.task import load_task
from sandbox.trial import TrialSpec, new_trial_id
from tests.helpers import USER_DOCKERFILE, make_task

pytestmark = pytest.mark.docker


def spec_for(tmp_path, task, repeat=0):
    trial_id = new_trial_id(task, repeat)
    return TrialSpec(task, repeat, trial_id, tmp_path / "run" / "trials" / trial_id)


async def test_oracle_scores_one_and_nop_zero(tmp_path, runner):
    task = load_task(make_task(tmp_path, "hello"))
    oracle = await runner.run(spec_for(tmp_path, task), OracleAgent())
    nop = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert (oracle.status, oracle.reward) == (TrialStatus.OK, 1.0)
    assert (nop.status, nop.reward) == (TrialStatus.OK, 0.0)
    trial_dir = spec_for(tmp_path, task).trial_dir.parent / oracle.trial_id
    saved = read_result(trial_dir / "result.json")
    assert saved == oracle and saved.format_version == 2 and saved.rewards == {"reward": 1.0}
    assert saved.verifier_exit_code == 0 and saved.retryable is None
    assert saved.tamper is not None and saved.tamper.available and saved.tamper.flags == []
    assert not saved.tampered and not nop.tampered
    assert saved.timings.total_s > 0 and saved.timings.start_s > 0 and saved.timings.verifier_s > 0
    assert (trial_dir / "verifier" / "reward.txt").read_text().strip() == "1"
    assert (trial_dir / "verifier" / "test-stdout.txt").is_file()
    assert (trial_dir / "agent" / "oracle.txt").is_file()


class SlowAgent:
    """Solves the task, then dawdles past its budget."""

    name = "slow"

    async def run(self, ctx):
        await ctx.env.exec("echo hello > /app/out.txt")
        ctx.outcome = AgentOutcome(usage={"output_tokens": 5})
        await asyncio.sleep(60)
        return AgentOutcome()


async def test_agent_timeout_still_verifies(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t", toml="[agent]\ntimeout_sec = 1\n"))
    result = await runner.run(spec_for(tmp_path, task), SlowAgent())
    assert result.status == TrialStatus.AGENT_TIMEOUT
    assert result.reward == 1.0
    assert result.usage == {"output_tokens": 5}
    assert result.timings.agent_s < 5


class CrashingAgent:
    name = "crasher"

    async def run(self, ctx):
        raise ZeroDivisionError("agent bug")


async def test_agent_crash_is_agent_error_and_still_verified(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t"))
    result = await runner.run(spec_for(tmp_path, task), CrashingAgent())
    assert (result.status, result.error_kind, result.reward) == (TrialStatus.AGENT_ERROR, "agent_crash", 0.0)
    assert "ZeroDivisionError: agent bug" in result.error


async def test_verifier_timeout_is_verifier_error(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t", toml="[verifier]\ntimeout_sec = 1\n",
                               test_sh="#!/bin/bash\nsleep 30\necho 1 > /logs/verifier/reward.txt\n"))
    result = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert (result.status, result.error_kind, result.reward) == (TrialStatus.VERIFIER_ERROR, "verifier_timeout", None)
    assert result.score == 0.0


async def test_failing_dockerfile_is_infra_error_naming_the_task(tmp_path, runner):
    task = load_task(make_task(tmp_path, "broken-build",
                               dockerfile="FROM climb-base:bookworm\nRUN echo building && exit 42\n"))
    result = await runner.run(spec_for(tmp_path, task), OracleAgent())
    assert result.status == TrialStatus.INFRA_ERROR
    assert result.error_kind == "build"
    assert "broken-build" in result.error and "Dockerfile" in result.error
    assert result.attempt == 1  # the image cache retried the build; the trial does not rebuild
    again = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert again.error == result.error  # remembered, not rebuilt
    assert result.score is None


async def test_build_timeout_is_honoured(tmp_path, runner):
    task = load_task(make_task(tmp_path, "slow-build", toml="[environment]\nbuild_timeout_sec = 2\n",
                               dockerfile="FROM climb-base:bookworm\nRUN sleep 120\n"))
    result = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert (result.status, result.error_kind) == (TrialStatus.INFRA_ERROR, "build")
    assert "task slow-build" in result.error and "build_timeout_sec = 2" in result.error
    assert result.timings.total_s < 30


async def test_container_gets_the_task_settings_names_and_labels(tmp_path, runner, docker_client):
    toml = """
    [environment]
    cpus = 0.5
    memory_mb = 300
    workdir = "/srv"
    network_mode = "no-network"
    [environment.env]
    FOO = "bar"
    """

    class Inspector:
        name = "inspector"
        seen: typing.ClassVar[dict] = {}

        async def run(self, ctx):
            Inspector.seen = docker_client.api.inspect_container(ctx.env.id)
            r = await ctx.env.exec("pwd; echo $FOO; echo hello > /app/out.txt")
            Inspector.seen["exec"] = r.stdout.split()
            return AgentOutcome()

    task = load_task(make_task(tmp_path, "settings", toml=toml,
                               dockerfile="FROM climb-base:bookworm\nRUN mkdir -p /srv /app\nWORKDIR /app\n"))
    spec = spec_for(tmp_path, task)
    result = await runner.run(spec, Inspector())
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0)
    seen = Inspector.seen
    host = seen["HostConfig"]
    assert (host["NanoCpus"], host["Memory"], host["NetworkMode"]) == (500_000_000, 300 * 1024 * 1024, "none")
    assert seen["exec"] == ["/srv", "bar"]
    labels = seen["Config"]["Labels"]
    assert ((labels["climb.run"], labels["climb.trial"], labels["climb.task"])
            == (runner.run_id, spec.trial_id, "settings"))
    assert spec.trial_id in seen["Name"] and runner.run_id in seen["Name"]


async def test_missing_prebuilt_image_is_infra_error(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t", dockerfile=None,
                               toml='[environment]\ndocker_image = "climb-no-such-image:never"\n'))
    result = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert (result.status, result.error_kind) == (TrialStatus.INFRA_ERROR, "image")
    assert "climb-no-such-image:never" in result.error


async def test_prebuilt_image_task_runs(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t", dockerfile=None,
                               toml='[environment]\ndocker_image = "climb-base:bookworm"\nworkdir = "/tmp"\n',
                               test_sh="#!/bin/bash\n[ \"$(pwd)\" = /tmp ] && echo 1 > /logs/verifier/reward.txt\n"))
    result = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0)


class FlakyInfraAgent:
    """Fails like Docker would on the first attempt only."""

    name = "flaky"

    def __init__(self):
        self.calls = 0

    async def run(self, ctx):
        self.calls += 1
        if self.calls == 1:
            raise InfraError("simulated daemon hiccup")
        await ctx.env.exec("echo hello > /app/out.txt")
        return AgentOutcome()


async def test_infra_error_is_retried_not_scored(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t"))
    agent = FlakyInfraAgent()
    result = await runner.run(spec_for(tmp_path, task), agent)
    assert (result.status, result.reward, result.attempt) == (TrialStatus.OK, 1.0, 2)
    assert any("simulated daemon hiccup" in w for w in result.warnings)


class BrokenInfraAgent:
    name = "broken-infra"

    async def run(self, ctx):
        raise InfraError("the model API is down")


async def test_persistent_infra_error_is_reported_after_bounded_retries(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t"))
    spec = spec_for(tmp_path, task)
    result = await runner.run(spec, BrokenInfraAgent())
    assert (result.status, result.attempt, result.reward, result.score) == (TrialStatus.INFRA_ERROR, 2, None, None)
    assert "the model API is down" in result.error
    assert any(w.startswith("attempt 1: infra_error") for w in result.warnings)
    assert read_result(spec.trial_dir / "result.json") == result


async def test_users_follow_the_image_and_the_task(tmp_path, runner):
    probe = "#!/bin/bash\nid -un > /logs/verifier/who\necho 1 > /logs/verifier/reward.txt\n"

    class WhoAmI:
        name = "whoami"

        async def run(self, ctx):
            r = await ctx.env.exec("id -un > /logs/agent/who; touch /app/mine", user=ctx.user, cwd=ctx.workdir)
            if not r.ok:
                raise AgentError(r.stderr)
            return AgentOutcome()

    image_user = load_task(make_task(tmp_path, "image-user", dockerfile=USER_DOCKERFILE, test_sh=probe))
    spec = spec_for(tmp_path, image_user)
    result = await runner.run(spec, WhoAmI())
    assert result.status == TrialStatus.OK, result.error
    assert (spec.trial_dir / "agent" / "who").read_text().strip() == "worker"
    assert (spec.trial_dir / "verifier" / "who").read_text().strip() == "worker"

    explicit = load_task(make_task(tmp_path, "explicit-user", dockerfile=USER_DOCKERFILE, test_sh=probe,
                                   toml='[verifier]\nuser = "root"\n'))
    spec = spec_for(tmp_path, explicit)
    assert (await runner.run(spec, WhoAmI())).status == TrialStatus.OK
    assert (spec.trial_dir / "verifier" / "who").read_text().strip() == "root"


async def test_artifacts_are_copied_out(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t", toml='artifacts = ["/app/out.txt"]\n'))
    spec = spec_for(tmp_path, task)
    result = await runner.run(spec, OracleAgent())
    assert result.status == TrialStatus.OK
    assert (spec.trial_dir / "artifacts" / "app" / "out.txt").read_text() == "hello\n"
    assert (spec.trial_dir / "agent" / "oracle.txt").exists()


@pytest.mark.parametrize("line,field", [("cpus = 1000", "[environment].cpus = 1000"),
                                        ("memory_mb = 100000000", "[environment].memory_mb = 100000000")])
async def test_resources_the_host_lacks_are_named_and_not_retried(tmp_path, runner, line, field):
    task = load_task(make_task(tmp_path, "greedy", toml=f"[environment]\n{line}\n"))
    result = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert (result.status, result.error_kind, result.retryable, result.attempt) == \
        (TrialStatus.INFRA_ERROR, "resources", False, 1)
    assert result.error.startswith(f"{task.path / 'task.toml'}: {field} is more than the Docker host has")


async def test_a_missing_jail_is_not_retried(tmp_path, runner, monkeypatch):
    from task_agent.host import HarnessAgent  # the task agent's host raises it; the trial only reads the flag

    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap to be found
    task = load_task(make_task(tmp_path, "t"))
    agent = tmp_path / "agent.py"
    agent.write_text((Path(__file__).parents[1] / "task_agent" / "agent.py").read_text())
    result = await runner.run(spec_for(tmp_path, task), HarnessAgent(agent))
    assert (result.status, result.error_kind, result.retryable, result.attempt) == \
        (TrialStatus.INFRA_ERROR, "jail", False, 1)

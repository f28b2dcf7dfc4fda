"""task.toml options a trial honours beyond the basics: healthcheck, allowlist, timeout scaling."""

from __future__ import annotations

import pytest

from sandbox.agents import NopAgent, OracleAgent
from sandbox.results import TrialStatus
from sandbox.task import load_task
from sandbox.trial import TrialConfig, TrialRunner, TrialSpec, new_trial_id
from tests.helpers import make_task

pytestmark = pytest.mark.docker


def spec_for(tmp_path, task):
    trial_id = new_trial_id(task, 0)
    return TrialSpec(task, 0, trial_id, tmp_path / "run" / trial_id)


async def test_healthcheck_gates_the_agent(tmp_path, runner):
    healthy = load_task(make_task(tmp_path, "healthy", toml="""
    [environment.healthcheck]
    command = "test -d /logs/verifier"
    interval_sec = 0.1
    """))
    result = await runner.run(spec_for(tmp_path, healthy), OracleAgent())
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0)

    sick = load_task(make_task(tmp_path, "sick", toml="""
    [environment.healthcheck]
    command = "echo not yet; exit 1"
    interval_sec = 0.1
    retries = 2
    """))
    result = await runner.run(spec_for(tmp_path, sick), OracleAgent())
    assert (result.status, result.error_kind, result.score) == (TrialStatus.INFRA_ERROR, "healthcheck", None)
    assert "failed 2 times" in result.error and "not yet" in result.error


async def test_allowlist_runs_with_a_warning(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t", toml='[environment]\nnetwork_mode = "allowlist"\n'))
    result = await runner.run(spec_for(tmp_path, task), NopAgent())
    assert result.status == TrialStatus.OK
    assert any("allowlist is not enforced" in w for w in result.warnings)


async def test_agent_timeout_multiplier_scales_the_budget(tmp_path, docker_client, image_cache):
    task = load_task(make_task(tmp_path, "t", toml="[agent]\ntimeout_sec = 10\n"))
    runner = TrialRunner(docker_client, image_cache, "test-scale", TrialConfig(agent_timeout_multiplier=0.1))
    assert runner.agent_timeout(task) == pytest.approx(1.0)
    assert TrialRunner(docker_client, image_cache, "test-scale").agent_timeout(
        load_task(make_task(tmp_path, "u", toml=""))) == TrialConfig().default_agent_timeout_sec


async def test_each_phase_gets_its_own_env_in_the_workdir(tmp_path, runner):
    toml = """
    [environment]
    workdir = "/srv"
    [solution.env]
    S = "from-solution"
    [verifier.env]
    V = "${CLIMB_TEST_UNSET_FOR_SURE:-from-verifier}"
    """
    solve = '#!/bin/bash\necho "$(pwd) $S ${V:-no-V} $DEBIAN_FRONTEND" > /srv/solve-env\n'
    test_sh = ('#!/bin/bash\nseen="$(pwd) $V ${S:-no-S} | $(cat /srv/solve-env)"\necho "$seen"\n'
               'want="/srv from-verifier no-S | /srv from-solution no-V noninteractive"\n'
               '[ "$seen" = "$want" ] && echo 1 > /logs/verifier/reward.txt || echo 0 > /logs/verifier/reward.txt\n')
    task = load_task(make_task(tmp_path, "t", toml=toml, solve_sh=solve, test_sh=test_sh,
                               dockerfile="FROM climb-base:bookworm\nRUN mkdir -p /srv\n"))
    spec = spec_for(tmp_path, task)
    result = await runner.run(spec, OracleAgent())
    verifier_output = (spec.trial_dir / "verifier" / "test-stdout.txt").read_text()
    assert (result.status, result.reward) == (TrialStatus.OK, 1.0), verifier_output

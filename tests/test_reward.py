"""Reward parsing as Harbor does it, on files and through real trials."""

from __future__ import annotations

import pytest

from sandbox.agents import AgentOutcome, NopAgent
from sandbox.reward import RewardError, headline, parse_reward
from sandbox.results import TrialStatus
from sandbox.task import load_task
from sandbox.trial import TrialSpec, new_trial_id
from tests.helpers import BASE_DOCKERFILE, USER_DOCKERFILE, make_task


def write(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / name.replace("_", ".")).write_text(text)
    return tmp_path


@pytest.mark.parametrize("text,value", [("1", 1.0), ("0\n", 0.0), ("0.25", 0.25), (" 7 \n", 7.0)])
def test_reward_txt_int_and_float(tmp_path, text, value):
    assert parse_reward(write(tmp_path, reward_txt=text)) == {"reward": value}


def test_reward_json_several_keys(tmp_path):
    rewards = parse_reward(write(tmp_path, reward_json='{"reward": 0.5, "cases": 3, "speed": 1.5}'))
    assert rewards == {"reward": 0.5, "cases": 3.0, "speed": 1.5}
    assert headline(rewards) == 0.5
    assert headline({"a": 1.0, "b": 0.0}) == 0.5
    assert headline({"only": 0.3}) == 0.3


def test_json_wins_over_txt(tmp_path):
    assert parse_reward(write(tmp_path, reward_txt="0", reward_json='{"reward": 1}')) == {"reward": 1.0}


@pytest.mark.parametrize("files,kind", [
    ({}, "reward_file_missing"),
    ({"reward_txt": ""}, "reward_file_empty"),
    ({"reward_txt": "  \n"}, "reward_file_empty"),
    ({"reward_json": ""}, "reward_file_empty"),
    ({"reward_txt": "passed!"}, "reward_unparsable"),
    ({"reward_txt": "nan"}, "reward_unparsable"),
    ({"reward_txt": "inf"}, "reward_unparsable"),
    ({"reward_json": "{not json"}, "reward_unparsable"),
    ({"reward_json": '{"reward": NaN}'}, "reward_unparsable"),
    ({"reward_json": '{"reward": "1"}'}, "reward_unparsable"),
    ({"reward_json": '{"reward": true}'}, "reward_unparsable"),
    ({"reward_json": "[1]"}, "reward_unparsable"),
    ({"reward_json": '{"reward": {"nested": 1}}'}, "reward_unparsable"),
])
def test_reward_errors_are_distinct(tmp_path, files, kind):
    with pytest.raises(RewardError) as err:
        parse_reward(write(tmp_path, **files))
    assert err.value.kind == kind


def test_symlinked_reward_is_not_followed(tmp_path):
    (tmp_path / "secret").write_text("1")
    (tmp_path / "reward.txt").symlink_to(tmp_path / "secret")
    with pytest.raises(RewardError, match="cannot open"):
        parse_reward(tmp_path)


class PlantingAgent:
    """Tries to win by writing a reward before the verifier runs."""

    name = "planter"

    async def run(self, ctx):
        await ctx.env.exec("echo 1 > /logs/verifier/reward.txt; echo '{\"reward\": 1}' > "
                           "/logs/verifier/reward.json; mkdir -p /logs/verifier/sub; touch /logs/verifier/sub/x")
        return AgentOutcome()


@pytest.mark.docker
async def test_planted_reward_does_not_survive(tmp_path, runner):
    task = load_task(make_task(tmp_path, "t", test_sh="#!/bin/bash\n"
                               "ls -A /logs/verifier | grep -v test-stdout.txt > /tmp/seen\n"
                               "[ -s /tmp/seen ] && echo 0.5 > /logs/verifier/reward.txt "
                               "|| echo 0 > /logs/verifier/reward.txt\n"))
    spec = TrialSpec(task, 0, new_trial_id(task, 0), tmp_path / "run" / "t")
    result = await runner.run(spec, PlantingAgent())
    assert result.status == TrialStatus.OK
    assert result.reward == 0.0


class TestsPlanter:
    """Plants a /tests/json.py that a Python verifier would import instead of the real json."""

    name = "tests-planter"

    async def run(self, ctx):
        shadow = b"""open('/logs/verifier/reward.json', 'w').write('{"reward": 1}')\nraise SystemExit(0)\n"""
        await ctx.env.write_file("/tests/json.py", shadow)
        return AgentOutcome()


@pytest.mark.docker
@pytest.mark.parametrize("path", ["root", "root, big tests", "image USER"])
async def test_file_planted_in_tests_does_not_survive(tmp_path, runner, path):
    files = {"tests/verify.py": "import json\njson.dump({'reward': 0}, open('/logs/verifier/reward.json', 'w'))\n"}
    if "big" in path:
        files["tests/big.txt"] = "x" * 300_000
    task = load_task(make_task(tmp_path, "t", dockerfile=USER_DOCKERFILE if "USER" in path else BASE_DOCKERFILE,
                               test_sh="#!/bin/bash\npython3 /tests/verify.py\n", files=files))
    spec = TrialSpec(task, 0, new_trial_id(task, 0), tmp_path / "run" / "t")
    result = await runner.run(spec, TestsPlanter())
    assert (result.status, result.rewards) == (TrialStatus.OK, {"reward": 0.0})


class LogsBreaker:
    """Replaces /logs with a file holding a reward, hoping the verifier cannot recreate it."""

    name = "logs-breaker"

    async def run(self, ctx):
        await ctx.env.exec("rm -rf /logs && echo '{\"reward\": 1}' > /logs", user="0")
        return AgentOutcome()


@pytest.mark.docker
@pytest.mark.parametrize("dockerfile", [BASE_DOCKERFILE, USER_DOCKERFILE], ids=["root", "image-user"])
async def test_logs_the_agent_broke_are_rebuilt_and_flagged(tmp_path, runner, dockerfile):
    """The helper (root, the parent's own binary) rebuilds /logs; test.sh's own reward counts."""
    task = load_task(make_task(tmp_path, "t", dockerfile=dockerfile,
                               test_sh="#!/bin/bash\necho 0 > /logs/verifier/reward.txt\n"))
    spec = TrialSpec(task, 0, new_trial_id(task, 0), tmp_path / "run" / "t")
    result = await runner.run(spec, LogsBreaker())
    assert (result.status, result.reward, result.attempt) == (TrialStatus.OK, 0.0, 1)
    assert [(f.path, f.change.value) for f in result.tamper.flags] == [("/logs", "modified")]


@pytest.mark.docker
@pytest.mark.parametrize("test_sh,status,reward,kind", [
    ("echo 1 > /logs/verifier/reward.txt; exit 7", TrialStatus.OK, 1.0, None),
    ("echo 0.5 > /logs/verifier/reward.txt; exit 0", TrialStatus.OK, 0.5, None),
    ('echo \'{"reward": 0.75, "cases": 3}\' > /logs/verifier/reward.json', TrialStatus.OK, 0.75, None),
    ("exit 0", TrialStatus.VERIFIER_ERROR, None, "reward_file_missing"),
    (": > /logs/verifier/reward.txt", TrialStatus.VERIFIER_ERROR, None, "reward_file_empty"),
    ("echo NaN > /logs/verifier/reward.txt", TrialStatus.VERIFIER_ERROR, None, "reward_unparsable"),
])
async def test_reward_through_a_real_trial(tmp_path, runner, test_sh, status, reward, kind):
    task = load_task(make_task(tmp_path, "t", test_sh="#!/bin/bash\n" + test_sh + "\n"))
    spec = TrialSpec(task, 0, new_trial_id(task, 0), tmp_path / "run" / "t")
    result = await runner.run(spec, NopAgent())
    assert (result.status, result.reward, result.error_kind) == (status, reward, kind)
    assert (spec.trial_dir / "result.json").is_file()
    assert (spec.trial_dir / "verifier" / "test-stdout.txt").is_file()


@pytest.mark.docker
async def test_test_sh_exit_code_is_recorded_and_crlf_is_named(tmp_path, runner):
    crlf = load_task(make_task(tmp_path, "crlf", test_sh="#!/bin/bash\r\necho 1 > /logs/verifier/reward.txt\r\n"))
    result = await runner.run(TrialSpec(crlf, 0, new_trial_id(crlf, 0), tmp_path / "run" / "crlf"), NopAgent())
    assert (result.status, result.error_kind, result.attempt) == (TrialStatus.VERIFIER_ERROR, "reward_file_missing", 1)
    assert result.verifier_exit_code == 127
    assert "Windows line endings (CRLF)" in result.error and "exited with 127" in result.error
    no_shebang = load_task(make_task(tmp_path, "plain", test_sh="echo 1 > /logs/verifier/reward.txt\nexit 3\n"))
    result = await runner.run(TrialSpec(no_shebang, 0, new_trial_id(no_shebang, 0), tmp_path / "run" / "plain"),
                              NopAgent())
    assert (result.status, result.reward, result.verifier_exit_code) == (TrialStatus.OK, 1.0, 3)

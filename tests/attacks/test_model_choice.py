"""The models a trial may call are the operator's choice: switching, unknown providers and
``scripted:<host path>`` requests are the agent's error (scored), and no host file is read for them."""

from __future__ import annotations

import json
import os

import pytest

from sandbox.results import TrialStatus
from task_agent.host import ModelSettings
from tests.attacks.jail_helpers import findings, hostile, run_one, script

pytestmark = pytest.mark.docker

CALL = """
        async def call(ctx, model):  # a model call by name, past the runtime's Model
            return await ctx.env._channel.call("complete", model=model, messages=[{"role": "user", "content": "hi"}])
"""


def bait(tmp_path) -> tuple[str, os.stat_result]:
    """A script on the host that would answer "pwned", and its access time set before its change time:
    reading it would move the access time (relatime), so the test sees whether anyone opened it."""
    path = tmp_path / "host" / "bait.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"text": "pwned"}]))
    stat = path.stat()
    os.utime(path, (stat.st_mtime - 3600, stat.st_mtime))
    return str(path), path.stat()


def assert_unread(path: str, before: os.stat_result) -> None:
    assert os.stat(path).st_atime == before.st_atime, f"{path} was read"


async def test_switching_to_a_model_the_operator_did_not_allow_is_the_agents_error(tmp_path, runner):
    fixed = script(tmp_path, [])
    agent = hostile(tmp_path, "switch", CALL + """
        async def run(ctx):
            await call(ctx, "anthropic:claude-opus-4-1")
    """)
    result, _ = await run_one(tmp_path, runner, agent, models=ModelSettings(task_model=fixed))
    assert (result.status, result.error_kind, result.reward) == (TrialStatus.AGENT_ERROR, "model_not_allowed", 0.0)
    assert "anthropic:claude-opus-4-1" in result.error and "scripted:script.json" in result.error


@pytest.mark.parametrize("target", ["/etc/passwd", "bait"])
async def test_a_scripted_host_path_from_the_agent_is_refused_unread(tmp_path, runner, target):
    path, before = bait(tmp_path)
    target = path if target == "bait" else target
    agent = hostile(tmp_path, "scripted", CALL + f"""
        async def run(ctx):
            await call(ctx, "scripted:{target}")
    """)
    result, _ = await run_one(tmp_path, runner, agent, models=ModelSettings(task_model=script(tmp_path, [])))
    assert (result.status, result.error_kind) == (TrialStatus.AGENT_ERROR, "model_not_allowed"), result.error
    assert "root:x:" not in result.error and "pwned" not in result.error
    assert_unread(path, before)


async def test_agent_py_naming_a_scripted_model_is_not_served_unless_the_operator_named_it(tmp_path, runner):
    path, before = bait(tmp_path)
    agent = hostile(tmp_path, "own_scripted", """
        async def run(ctx):
            await ctx.model.complete([{"role": "user", "content": "hi"}])
    """, model=f"scripted:{path}")
    result, _ = await run_one(tmp_path, runner, agent)
    assert (result.status, result.error_kind) == (TrialStatus.AGENT_ERROR, "model_not_allowed"), result.error
    assert "--allowed-models" in result.error
    assert_unread(path, before)


async def test_an_unknown_provider_in_agent_py_is_the_agents_error_not_infra(tmp_path, runner):
    agent = hostile(tmp_path, "bogus", """
        async def run(ctx):
            await ctx.model.complete([{"role": "user", "content": "hi"}])
    """, model="bogus:model-x")
    result, _ = await run_one(tmp_path, runner, agent)
    assert (result.status, result.error_kind, result.reward) == (TrialStatus.AGENT_ERROR, "model_config", 0.0)
    assert "bogus" in result.error and "unknown provider" in result.error


async def test_switching_within_the_allowed_list_works_and_outside_it_does_not(tmp_path, runner):
    first = script(tmp_path, [{"text": "one"}], "first.json")
    second = script(tmp_path, [{"text": "two"}], "second.json")
    agent = hostile(tmp_path, "allowed", CALL + """
        async def run(ctx):
            answers = [(await ctx.model.complete([{"role": "user", "content": "hi"}])).text,
                       (await call(ctx, "scripted:second.json"))["content"][0]["text"]]
            report({"answers": answers, "model": ctx.model.name})
            await call(ctx, "anthropic:claude-opus-4-1")
    """, model=first)
    result, trial_dir = await run_one(tmp_path, runner, agent, models=ModelSettings(allowed_models=[first, second]))
    assert findings(trial_dir) == {"answers": ["one", "two"], "model": "scripted:first.json"}
    assert (result.status, result.error_kind) == (TrialStatus.AGENT_ERROR, "model_not_allowed"), result.error
    assert result.usage["model_calls"] == 2


async def test_a_missing_key_is_the_agents_error_for_its_own_model_and_infra_for_the_operators(tmp_path, runner):
    # no test has an API key (conftest): an anthropic model cannot be built here
    agent = hostile(tmp_path, "keyless", """
        async def run(ctx):
            await ctx.model.complete([{"role": "user", "content": "hi"}])
    """, model="anthropic:claude-haiku-4-5")
    own, _ = await run_one(tmp_path / "own", runner, agent)
    assert (own.status, own.error_kind) == (TrialStatus.AGENT_ERROR, "model_config"), own.error
    assert "ANTHROPIC_API_KEY" in own.error
    named, _ = await run_one(tmp_path / "named", runner, agent,
                             models=ModelSettings(task_model="anthropic:claude-haiku-4-5"))
    assert (named.status, named.error_kind) == (TrialStatus.INFRA_ERROR, "model_config"), named.error

"""HarborEnvironment against providers that misbehave (fakes of Harbor's side, not of ours)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sandbox.environment import InfraError
from sandbox.harbor_env import HarborEnvironment


class Provider:
    """Answers every exec with one canned reply, or raises."""

    def __init__(self, reply=None, error: Exception | None = None):
        self.reply, self.error, self.commands = reply, error, []

    async def exec(self, command, cwd=None, env=None, timeout_sec=None, user=None):
        self.commands.append((command, user, timeout_sec))
        if self.error:
            raise self.error
        return self.reply


async def test_a_provider_failure_is_an_infra_error_naming_the_environment():
    env = HarborEnvironment(Provider(error=RuntimeError("daemon gone")), "harbor:x task-a")
    with pytest.raises(InfraError, match="harbor:x task-a: exec failed: RuntimeError: daemon gone"):
        await env.exec("true", timeout=5)


async def test_a_command_that_never_started_is_infra_not_a_failed_command():
    # What `docker compose exec` prints when the container is gone: no frame at all.
    gone = Provider(SimpleNamespace(stdout="service \"main\" is not running", stderr=None, return_code=1))
    with pytest.raises(InfraError, match=r"did not start .*not running"):
        await HarborEnvironment(gone, "harbor:docker t").exec("echo hi", timeout=5)


async def test_provider_noise_before_the_frame_goes_to_stderr_and_bounds_reach_the_provider():
    provider = Provider()

    async def exec_(command, cwd=None, env=None, timeout_sec=None, user=None):
        provider.commands.append((command, user, timeout_sec))
        start = command.split("printf %s ", 1)[1].split(";", 1)[0]
        end = command.split("printf %s ", 2)[2].split(";", 1)[0]
        return SimpleNamespace(stdout=f"WARN compose: x\n{start}out{end}ZXJy", stderr=None, return_code=0)

    provider.exec = exec_
    result = await HarborEnvironment(provider, "h").exec("echo out", timeout=10, user="dev")
    assert (result.stdout, result.stderr, result.exit_code) == ("out", "WARN compose: x\nerr", 0)
    command, user, bound = provider.commands[0]
    assert user == "dev" and bound == 45 and "{ timeout -k 5s 10.00s bash -c 'echo out'; }" in command


async def test_one_failed_liveness_probe_is_not_a_stopped_sandbox():
    """"Stopped" scores the trial (a verifier error), so a provider's passing hiccup must not say it."""
    calls = []

    class Flaky:
        async def exec(self, command, cwd=None, env=None, timeout_sec=None, user=None):
            calls.append(command)
            if len(calls) == 1:
                raise RuntimeError("connection reset by peer")
            start = command.split("printf %s ", 1)[1].split(";", 1)[0]
            end = command.split("printf %s ", 2)[2].split(";", 1)[0]
            return SimpleNamespace(stdout=f"{start}{end}", stderr=None, return_code=0)

    assert await HarborEnvironment(Flaky(), "h").running()
    assert len(calls) == 2

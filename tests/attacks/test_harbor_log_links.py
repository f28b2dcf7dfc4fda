"""The link attacks against a Harbor engine (harbor:docker): what comes out of a provider's
sandbox is written by the same ``sandbox.extract`` as our Docker's, so no link the agent
made in /logs or in an artifact reaches the trial folder, and nothing on the host is
followed. Harbor's Docker environment cannot isolate offline, so the task is public."""

from __future__ import annotations

import secrets
from pathlib import Path

import docker
import pytest

from sandbox.backends import EnvChoice, make_runner
from sandbox.docker import LABEL_RUN
from sandbox.results import TrialStatus
from sandbox.trial import TrialConfig
from tests.attacks.sandbox_kit import assert_untouched, beside_honest, canary, hello_task, task_model
from tests.harbor_helpers import harbor_ready  # noqa: F401 - fixture

pytestmark = [pytest.mark.docker, pytest.mark.harbor, pytest.mark.slow]


@pytest.fixture
async def harbor_runner(harbor_ready):  # noqa: F811
    run_id = f"hatk-{secrets.token_hex(3)}"
    runner = make_runner(EnvChoice(name="harbor:docker"), run_id, TrialConfig(max_attempts=2, retry_backoff_sec=0.05))
    yield runner
    await runner.drain()
    left = docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"})
    assert left == []


async def test_links_in_logs_and_artifacts_never_reach_the_trial_folder(tmp_path, harbor_runner):
    host = canary(tmp_path)
    task = hello_task(tmp_path, toml='artifacts = ["/app/art", "/app/artdir"]\n[agent]\ntimeout_sec = 60\n'
                                     '[environment]\nnetwork_mode = "public"\n')
    attacker = task_model(tmp_path, "container-links", [
        (f"ln -s {host} /logs/agent/c-dir && ln -s {host}/c.txt /logs/agent/c-file && ln /etc/passwd /logs/agent/c-hard"
         " && echo x > /logs/agent/h1 && ln /logs/agent/h1 /logs/agent/h2 && mkfifo /logs/agent/pipe"),
        f"ln -s {host} /logs/artifacts/a-dir && ln -s /etc/shadow /logs/artifacts/a-file",
        f"mkdir -p /app && ln -s {host} /app/art && mkdir -p /app/artdir && ln -s {host}/x /app/artdir/inner",
        f"ln -s {host} /logs/verifier/planted",  # cleared by the helper before test.sh runs
    ])
    (result,), _honest = await beside_honest(harbor_runner, tmp_path / "run", task, [attacker])
    assert_untouched(host)
    assert (result.status, result.reward) == (TrialStatus.OK, 0.0), result.error
    trial = Path(result.trial_dir)
    assert sorted(str(p.relative_to(trial)) for p in trial.rglob("*") if p.is_symlink()) == []
    assert not (trial / "agent" / "pipe").exists() and not (trial / "verifier" / "planted").exists()
    # A hard link to a file outside /logs arrives as the container's file; of two names of one file
    # inside the archive, the one the sandbox's tar packs first arrives and the link entry is dropped.
    assert (trial / "agent" / "c-hard").read_text().startswith("root:x:0:0")
    assert [(trial / "agent" / n).read_text() for n in ("h1", "h2") if (trial / "agent" / n).exists()] == ["x\n"]
    assert any("links dropped" in w for w in result.warnings), result.warnings

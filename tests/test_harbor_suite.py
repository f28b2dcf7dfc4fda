"""`--env harbor:docker`: our trial lifecycle on Harbor's Docker environment.

Same rewards and statuses as our own Docker backend on example tasks; a Harbor
environment that fails to start is an infra error (retried, never scored); a short
climb with scripted models completes on it.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

import docker
import pytest

from meta.cli.main import main as climb
from meta.climb.loop import Climb
from meta.climb.setup import build_context
from meta.ledger.store import Ledger
from sandbox.agents import OracleAgent
from sandbox.backends import EnvChoice, make_runner
from sandbox.docker import LABEL_RUN
from sandbox.results import TrialStatus
from sandbox.task import load_task
from sandbox.trial import TrialConfig, TrialSpec
from tests.climb_helpers import (BASE_PROMPT, FIX, climb_config, edit, git, judge_script, make_repo, meta_script,
                                 task_script)
from tests.harbor_helpers import harbor_ready, public_copies  # noqa: F401 - fixture
from tests.helpers import make_task

pytestmark = [pytest.mark.docker, pytest.mark.harbor, pytest.mark.slow]

# A non-root image USER with partial credit; [agent]/[verifier].user and a workdir; reward.json metrics.
EXAMPLES = ["fix-python-inventory", "git-recover-branch", "csv-sales-rollup"]
NO_REWARD = "#!/bin/bash\necho 'the verifier forgot its reward file'\n"
PUBLIC = '[agent]\ntimeout_sec = 60\n[verifier]\ntimeout_sec = 30\n[environment]\nnetwork_mode = "public"\n'


def _leftovers(run_id: str) -> list[str]:
    found = docker.from_env().containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"})
    return [c.name for c in found]


def _suite(tasks: Path, agent: str, env: str, out: Path) -> dict[str, tuple[str, float | None]]:
    assert climb(["suite", str(tasks), "--agent", agent, "--env", env, "-n", "4", "--out", str(out)]) in (0, 1)
    trials = json.loads((out / "suite.json").read_text())["trials"]
    return {t["task"]: (t["status"], t["reward"]) for t in trials}


def test_harbor_docker_gives_the_rewards_and_statuses_of_our_docker(tmp_path, harbor_ready):  # noqa: F811
    tasks = public_copies(EXAMPLES, tmp_path / "tasks")
    make_task(tmp_path / "tasks", "no-reward-file", toml=PUBLIC, test_sh=NO_REWARD)
    outcomes = {}
    for agent in ("oracle", "nop"):
        for env in ("docker", "harbor:docker"):
            outcomes[agent, env] = _suite(tasks, agent, env, tmp_path / f"{agent}-{env.replace(':', '-')}")
    for agent in ("oracle", "nop"):
        assert outcomes[agent, "harbor:docker"] == outcomes[agent, "docker"], agent
    # Not a vacuous match: the oracle solves, nop does not, and a missing reward file is a verifier error.
    oracle, nop = outcomes["oracle", "docker"], outcomes["nop", "docker"]
    assert all(oracle[name] == ("ok", 1.0) for name in EXAMPLES)
    assert all(nop[name] == ("ok", 0.0) for name in EXAMPLES)
    assert oracle["no-reward-file"] == nop["no-reward-file"] == ("verifier_error", None)


async def test_a_harbor_environment_that_fails_to_start_is_an_infra_error(tmp_path, harbor_ready):  # noqa: F811
    task = load_task(make_task(tmp_path / "tasks", "broken-build", toml=PUBLIC,
                               dockerfile="FROM climb-base:bookworm\nRUN echo broken && exit 3\n"))
    run_id = f"hbad-{secrets.token_hex(3)}"
    runner = make_runner(EnvChoice(name="harbor:docker"), run_id,
                         TrialConfig(max_attempts=2, retry_backoff_sec=0.05))
    result = await runner.run(TrialSpec(task, 0, "broken-build__r0", tmp_path / "trial"), OracleAgent())
    assert result.status == TrialStatus.INFRA_ERROR and result.score is None
    assert result.error_kind == "harbor_start" and result.attempt == 2  # retried, then reported
    assert "harbor:docker could not start the environment of task broken-build" in result.error
    assert any("attempt 1: infra_error (harbor_start)" in w for w in result.warnings)
    assert _leftovers(run_id) == []


def _public_repo(tmp_path: Path, keep: int = 4) -> Path:
    """climb_helpers' repo with its first ``keep`` tasks, switched to the public network."""
    repo = make_repo(tmp_path)
    for task in sorted((repo / "tasks").iterdir())[keep:]:
        subprocess.run(["rm", "-rf", str(task)], check=True)
    for toml in (repo / "tasks").glob("*/task.toml"):
        toml.write_text(toml.read_text().replace('"no-network"', '"public"'))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "public tasks for harbor")
    return repo


async def test_a_short_scripted_climb_through_harbor_docker_completes(tmp_path, harbor_ready):  # noqa: F811
    repo = _public_repo(tmp_path)
    config = climb_config(
        repo, meta_script(tmp_path / "meta.json", [edit(BASE_PROMPT, f"{BASE_PROMPT} {FIX}", "check your work")]),
        task_script(tmp_path / "task.json"), judge_script(tmp_path / "judge.json", [True]),
        env=EnvChoice(name="harbor:docker"), split={"heldout": ["count-03"]})
    run_id = f"hclimb-{secrets.token_hex(2)}"
    ctx = build_context(config, tmp_path / "run", run_id, resume=False)
    assert ctx.evaluator.trials.runner.engine == "harbor:docker"
    state = await Climb(ctx).run()
    rows = Ledger(tmp_path / "run").rows()
    assert [r.exp for r in rows] == [0, 1, 1] and rows[0].status == "baseline" and rows[-1].status == "stop"
    assert rows[1].status == "keep" and state.phase == "done"  # the scripted fix works on Harbor too
    assert (rows[0].train_score, rows[1].train_score, rows[1].heldout_score) == (0.0, 1.0, 1.0)
    results = [json.loads(p.read_text()) for p in (tmp_path / "run").rglob("result.json")]
    assert results and all(r["status"] == "ok" for r in results)
    assert all((Path(r["trial_dir"]) / ".harbor").is_dir() for r in results)  # each ran on Harbor's environment
    # No tamper audit on a Harbor engine (a provider has no diff against the image): said, not faked.
    assert all(not r["tamper"]["available"] and "cannot list" in r["tamper"]["note"] for r in results)
    assert _leftovers(run_id) == []

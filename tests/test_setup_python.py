"""scripts/find-python.sh: setup finds a Python >= 3.12 on a machine whose python3 is older."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "find-python.sh"
REAL_PYTHON = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
OLD_BIN = "/usr/bin:/bin"
"""Debian bookworm's python3 is 3.11: on this PATH alone there is no 3.12."""


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": OLD_BIN, "CLIMB_NO_PYTHON_INSTALL": "1", "LANG": "C.UTF-8"}
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120,
                          env={**base, **env}, check=False)


def _version(python: str) -> tuple[int, int]:
    out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1])


def _system_pythons() -> list[str]:
    """Interpreters the script looks for outside PATH, pyenv and HOME (present on some machines)."""
    found = glob.glob("/usr/local/bin/python3.1[2-9]") + glob.glob("/opt/python*/bin/python3")
    return [p for p in found if _version(p) >= (3, 12)]


def test_finds_a_pyenv_version_when_path_has_only_an_old_python(tmp_path):
    assert sys.version_info >= (3, 12)
    bin_dir = tmp_path / "pyenv" / "versions" / "3.12.99" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python3").symlink_to(REAL_PYTHON)
    (tmp_path / "pyenv" / "versions" / "3.11.0").mkdir()  # an old one is passed over
    result = _run({"PYENV_ROOT": str(tmp_path / "pyenv"), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    found = result.stdout.strip()
    assert _version(found) >= (3, 12)


def test_climb_python_wins_and_an_old_one_is_refused(tmp_path):
    result = _run({"CLIMB_PYTHON": str(REAL_PYTHON), "PYENV_ROOT": str(tmp_path), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert os.path.realpath(result.stdout.strip()) == str(REAL_PYTHON)
    old = subprocess.run(["bash", "-c", "command -v python3"], capture_output=True, text=True,
                         env={"PATH": OLD_BIN}).stdout.strip()
    assert old and _version(old) < (3, 12), "this test needs the system python3 to be older than 3.12"
    result = _run({"CLIMB_PYTHON": old, "PYENV_ROOT": str(tmp_path), "HOME": str(tmp_path)})
    found = _system_pythons()
    if found:  # the machine has one of its own where the script also looks
        assert result.returncode == 0 and result.stdout.strip() in found
    else:
        assert result.returncode == 1
        assert "no Python >= 3.12" in result.stderr and "CLIMB_PYTHON=" in result.stderr

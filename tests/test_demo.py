"""`climb demo`: a short scripted climb on the real example tasks, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from meta.ledger.store import Ledger
from tests.climb_helpers import make_repo

pytestmark = [pytest.mark.docker, pytest.mark.slow]
TASKS = Path(__file__).resolve().parents[1] / "tasks"


def test_demo_keeps_the_fix_and_discards_the_control(tmp_path):
    repo = make_repo(tmp_path)  # the demo climbs the agent of the repo it runs in
    climb = Path(sys.executable).parent / "climb"
    proc = subprocess.run([str(climb), "demo", "--tasks", str(TASKS), "--no-dashboard",
                           "--out", str(tmp_path / "run")], cwd=repo, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = Ledger(tmp_path / "run").rows()
    assert [(r.exp, r.status) for r in rows] == [(0, "baseline"), (1, "keep"), (2, "discard"), (2, "stop")]
    assert rows[0].train_score == 0.0 and rows[1].train_score == 1.0
    assert "demo: 8 tasks" in proc.stderr  # a few tasks keep it to about a minute
    assert "climb ended: 2 experiments done; held-out 0.000 -> 1.000 (+1.000)" in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last == f"report: {tmp_path / 'run' / 'report.html'}  (open it in a browser)"
    assert (tmp_path / "run" / "report.html").is_file()

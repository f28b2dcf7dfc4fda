"""Building small Harbor task folders for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

BASE_DOCKERFILE = "FROM climb-base:bookworm\nWORKDIR /app\n"
USER_DOCKERFILE = (
    "FROM climb-base:bookworm\n"
    "RUN useradd -m -u 1234 worker && mkdir -p /app && chown worker /app\n"
    "USER worker\nWORKDIR /app\n"
)
PASS_IF_HELLO = """#!/bin/bash
if [ "$(cat /app/out.txt 2>/dev/null)" = hello ]; then echo 1 > /logs/verifier/reward.txt
else echo 0 > /logs/verifier/reward.txt; fi
"""
SOLVE_HELLO = "#!/bin/bash\necho hello > /app/out.txt\n"


def make_task(
    root: Path,
    name: str,
    *,
    toml: str = ("[agent]\ntimeout_sec = 60\n[verifier]\ntimeout_sec = 30\n"
                 "[environment]\nnetwork_mode = \"no-network\"\n"),
    instruction: str = "Write the word hello into /app/out.txt.",
    dockerfile: str | None = BASE_DOCKERFILE,
    test_sh: str | None = PASS_IF_HELLO,
    solve_sh: str | None = SOLVE_HELLO,
    files: dict[str, str] | None = None,
) -> Path:
    """Write a task folder; None for a part leaves it out."""
    task = root / name
    task.mkdir(parents=True)
    (task / "task.toml").write_text(textwrap.dedent(toml))
    (task / "instruction.md").write_text(instruction + "\n")
    (task / "environment").mkdir()
    if dockerfile is not None:
        (task / "environment" / "Dockerfile").write_text(dockerfile)
    if test_sh is not None:
        (task / "tests").mkdir()
        (task / "tests" / "test.sh").write_text(test_sh)
    if solve_sh is not None:
        (task / "solution").mkdir()
        (task / "solution" / "solve.sh").write_text(solve_sh)
    for rel, text in (files or {}).items():
        path = task / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return task

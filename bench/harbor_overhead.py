"""Per-trial overhead of `--env harbor:docker` against our own Docker backend, same run.

    .venv/bin/python bench/harbor_overhead.py [-k 2] [--concurrency 4] [--harbor-run]

Both sides run the same oracle trials with the same lifecycle code (ours: upload,
agent, verifier, rewards); only the engine under it differs: our Docker backend
(docker SDK, image cache, forced remove) or Harbor's Docker environment (`docker
compose` subprocesses: build, up, exec, cp, down). Tasks: a trivial one plus three
example tasks, switched to the public network (Harbor's Docker environment cannot
isolate offline). Each side runs every task ``k`` times sequentially, then at the
given concurrency, alternating sides. ``--harbor-run`` also times Harbor's own runner
(`harbor run --agent oracle`) on the same tasks, sequentially. The last line is
`harbor_overhead_s_sequential=X harbor_ratio_sequential=Y harbor_ratio_parallel=Z`.
Needs the harbor extra and `docker compose` v2 (scripts/setup.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.agents import OracleAgent  # noqa: E402
from sandbox.backends import EnvChoice, make_runner  # noqa: E402
from sandbox.pool import run_suite  # noqa: E402
from sandbox.task import Task, discover  # noqa: E402

EXAMPLES = ["extract-emails", "env-merge", "git-recover-branch"]
PHASES = ("build_s", "start_s", "agent_s", "verifier_s", "teardown_s", "total_s")


def make_tasks(root: Path) -> list[Task]:
    """The trivial task and public-network copies of three example tasks."""
    trivial = root / "trivial"
    for sub in ("environment", "tests", "solution"):
        (trivial / sub).mkdir(parents=True)
    (trivial / "task.toml").write_text('[agent]\ntimeout_sec = 60\n[environment]\nnetwork_mode = "public"\n')
    (trivial / "instruction.md").write_text("Write hello to /app/out.txt.\n")
    (trivial / "environment" / "Dockerfile").write_text("FROM climb-base:bookworm\nWORKDIR /app\n")
    (trivial / "solution" / "solve.sh").write_text("#!/bin/bash\necho hello > /app/out.txt\n")
    (trivial / "tests" / "test.sh").write_text(
        '#!/bin/bash\n[ "$(cat /app/out.txt)" = hello ] && echo 1 > /logs/verifier/reward.txt '
        "|| echo 0 > /logs/verifier/reward.txt\n")
    for name in EXAMPLES:
        shutil.copytree(ROOT / "tasks" / name, root / name)
        toml = root / name / "task.toml"
        toml.write_text(re.sub(r'network_mode\s*=\s*"no-network"', 'network_mode = "public"', toml.read_text()))
    found = discover(root)
    if found.errors:
        raise SystemExit(f"task errors: {found.errors}")
    return found.tasks


async def timed_suite(env: str, tasks: list[Task], out: Path, repeats: int, concurrency: int):
    runner = make_runner(EnvChoice(name=env), f"bench-{env.replace(':', '-')}-{out.name}", concurrency=concurrency)
    started = time.monotonic()
    suite = await run_suite(tasks, OracleAgent(), runner, out, repeats=repeats, concurrency=concurrency)
    elapsed = time.monotonic() - started
    bad = [r for r in suite.results if r.reward != 1.0]
    if bad:
        raise SystemExit(f"{env}: {bad[0].task} {bad[0].status.value}: {bad[0].error}")
    return elapsed, suite.results


def harbor_runner(tasks_dir: Path, jobs: Path) -> float:
    """Harbor's own runner, its oracle agent, sequentially; wall time in seconds."""
    harbor = Path(sys.executable).parent / "harbor"
    started = time.monotonic()
    proc = subprocess.run([str(harbor), "run", "-p", str(tasks_dir), "--agent", "oracle", "-n", "1",
                           "-o", str(jobs), "-y"], capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    rewards = [json.loads(p.read_text()).get("verifier_result", {}) for p in jobs.glob("*/*/result.json")]
    if proc.returncode != 0 or not rewards or any((r or {}).get("rewards", {}).get("reward") != 1.0 for r in rewards):
        raise SystemExit(f"harbor run failed: {proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", type=int, default=2, help="repeats of each task per measurement")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--harbor-run", action="store_true", help="also time Harbor's own runner")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="climb-bench-harbor-") as tmp:
        root = Path(tmp)
        tasks_dir = root / "tasks"
        tasks = make_tasks(tasks_dir)
        for env in ("docker", "harbor:docker"):  # warm both sides' image and build caches
            await timed_suite(env, tasks, root / f"warm-{env.replace(':', '-')}", 1, 4)
        n = len(tasks) * args.k
        rows, phases = [], {}
        for label, conc in (("sequential", 1), (f"concurrency {args.concurrency}", args.concurrency)):
            walls = {}
            for env in ("docker", "harbor:docker"):
                walls[env], results = await timed_suite(env, tasks, root / f"{env.replace(':', '-')}-{conc}",
                                                        args.k, conc)
                if conc == 1:
                    phases[env] = {p: statistics.median(getattr(r.timings, p) for r in results) for p in PHASES}
            rows.append((label, walls["docker"] / n, walls["harbor:docker"] / n))
        native = harbor_runner(tasks_dir, root / "jobs") / len(tasks) if args.harbor_run else None
    print(f"{len(tasks)} tasks x {args.k}: {', '.join(t.id for t in tasks)}")
    print(f"{'mode':<16}{'docker s/trial':>16}{'harbor:docker s/trial':>23}{'overhead s':>12}{'ratio':>8}")
    for label, ours, theirs in rows:
        print(f"{label:<16}{ours:>16.3f}{theirs:>23.3f}{theirs - ours:>12.3f}{theirs / ours:>8.2f}")
    for env, medians in phases.items():
        print(f"{env} sequential phase medians: " + "  ".join(f"{p}={v:.3f}" for p, v in medians.items()))
    if native is not None:
        print(f"Harbor's own runner (harbor run --agent oracle, -n 1): {native:.3f} s/trial")
    (_, seq_ours, seq_theirs), (_, par_ours, par_theirs) = rows
    print(f"harbor_overhead_s_sequential={seq_theirs - seq_ours:.2f} "
          f"harbor_ratio_sequential={seq_theirs / seq_ours:.2f} harbor_ratio_parallel={par_theirs / par_ours:.2f}")


if __name__ == "__main__":
    asyncio.run(main())

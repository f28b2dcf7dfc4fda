"""Per-trial overhead of our sandbox against a bare `docker run --rm` floor, same run.

    .venv/bin/python bench/sandbox_overhead.py [-n 16] [--concurrency 4]

Both sides run the same trivial oracle trial on the same image: create the log
folders, run solution/solve.sh, run tests/test.sh, read the reward. The floor
gets the solution and tests by bind mount and does everything in one
`docker run --rm`; we do the full Harbor lifecycle (upload, exec per phase,
clear /logs/verifier, copy /logs out, result.json, forced remove). The last line
is `overhead_ratio_sequential=X overhead_ratio_parallel=Y`: our wall time per
trial over the floor's, sequentially and at the given concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.agents import OracleAgent
from sandbox.docker import connect
from sandbox.images import ImageCache
from sandbox.pool import run_suite
from sandbox.task import Task, load_task
from sandbox.trial import TrialRunner

DOCKERFILE = "FROM climb-base:bookworm\nWORKDIR /app\n"
SOLVE = "#!/bin/bash\necho hello > /app/out.txt\n"
TEST = ('#!/bin/bash\nif [ "$(cat /app/out.txt)" = hello ]; then echo 1 > /logs/verifier/reward.txt; '
        "else echo 0 > /logs/verifier/reward.txt; fi\n")
FLOOR_CMD = ("mkdir -p /logs/agent /logs/verifier /logs/artifacts && "
             "(/solution/solve.sh) > /logs/agent/oracle.txt 2>&1; "
             "(/tests/test.sh) > /logs/verifier/test-stdout.txt 2>&1; cat /logs/verifier/reward.txt")


def make_task(root: Path) -> Task:
    task = root / "trivial"
    for sub in ("environment", "tests", "solution"):
        (task / sub).mkdir(parents=True)
    (task / "task.toml").write_text('[agent]\ntimeout_sec = 60\n[environment]\nnetwork_mode = "no-network"\n')
    (task / "instruction.md").write_text("Write hello to /app/out.txt.\n")
    (task / "environment" / "Dockerfile").write_text(DOCKERFILE)
    (task / "solution" / "solve.sh").write_text(SOLVE)
    (task / "tests" / "test.sh").write_text(TEST)
    for script in (task / "solution" / "solve.sh", task / "tests" / "test.sh"):
        script.chmod(0o755)
    return load_task(task)


async def floor_trial(image: str, task: Task) -> float:
    cmd = ["docker", "run", "--rm", "--network", "none",
           "-v", f"{task.solution_dir}:/solution:ro", "-v", f"{task.tests_dir}:/tests:ro",
           image, "bash", "-c", FLOOR_CMD]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode != 0 or out.strip() != b"1":
        raise SystemExit(f"floor trial failed: {err.decode()[-500:]}")
    return 0.0


async def run_floor(image: str, task: Task, n: int, concurrency: int) -> float:
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with semaphore:
            await floor_trial(image, task)

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.monotonic() - started


async def run_ours(runner: TrialRunner, task: Task, out: Path, n: int, concurrency: int) -> tuple[float, list]:
    started = time.monotonic()
    suite = await run_suite([task], OracleAgent(), runner, out, repeats=n, concurrency=concurrency)
    elapsed = time.monotonic() - started
    bad = [r for r in suite.results if r.reward != 1.0]
    if bad:
        raise SystemExit(f"our trial failed: {bad[0].status} {bad[0].error}")
    return elapsed, suite.results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=16, help="trials per measurement")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    client = connect()
    with tempfile.TemporaryDirectory(prefix="climb-bench-") as tmp:
        root = Path(tmp)
        task = make_task(root)
        runner = TrialRunner(client, ImageCache(client), "bench-overhead")
        image = (await runner.images.ensure(task)).tag
        await run_ours(runner, task, root / "warm", 2, 1)  # warm caches on both sides
        await run_floor(image, task, 2, 1)
        rows = []
        for label, conc in (("sequential", 1), (f"concurrency {args.concurrency}", args.concurrency)):
            floor = await run_floor(image, task, args.n, conc)
            ours, results = await run_ours(runner, task, root / f"ours-{conc}", args.n, conc)
            rows.append((label, floor, ours, results))
        eight_ours, _ = await run_ours(runner, task, root / "eight", 8, 4)
        eight_floor = await run_floor(image, task, 8, 4)
    n = args.n
    print(f"{'mode':<16}{'floor s/trial':>15}{'ours s/trial':>14}{'overhead s':>12}{'ratio':>8}")
    for label, floor, ours, _ in rows:
        print(f"{label:<16}{floor / n:>15.3f}{ours / n:>14.3f}{(ours - floor) / n:>12.3f}{ours / floor:>8.2f}")
    phases = ("start_s", "agent_s", "verifier_s", "teardown_s", "total_s")
    seq_results = rows[0][3]
    medians = {p: statistics.median(getattr(r.timings, p) for r in seq_results) for p in phases}
    print("our sequential phase medians: " + "  ".join(f"{p}={v:.3f}" for p, v in medians.items()))
    print(f"8 trials at concurrency 4: ours {eight_ours:.2f} s, floor {eight_floor:.2f} s "
          f"(Harbor's local runner: 33-39 s on this kind of machine)")
    print(f"overhead_ratio_sequential={rows[0][2] / rows[0][1]:.2f} "
          f"overhead_ratio_parallel={rows[1][2] / rows[1][1]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())

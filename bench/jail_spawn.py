"""Start-up cost of the agent's jail, against a bare interpreter start measured in the same run.

    .venv/bin/python bench/jail_spawn.py [-n 20] [--source DIR]

One sample runs an agent.py that returns at once through ``HarnessAgent.run``: the jail is
built and started, the runtime comes up, the channel opens, the agent reports done, the jail
is killed and its logs copied out (no container is involved: the agent runs no command).
The reference starts the same interpreter with ``-I -S -c pass``. ``--source`` runs another
checkout's task_agent (e.g. main's) so a change is measured before and after in one go.
The last line is ``jail_spawn_ms=X python_floor_ms=Y ratio=Z`` (medians).
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

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("-n", type=int, default=20, help="samples of each")
parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[1],
                    help="the checkout whose task_agent is measured")
ARGS = parser.parse_args()
sys.path.insert(0, str(ARGS.source.resolve()))

from sandbox.agents import AgentContext  # noqa: E402
from sandbox.task import load_task  # noqa: E402
from task_agent.host import HarnessAgent, ModelSettings  # noqa: E402

AGENT = "from task_agent.runtime import Context\nMODEL = 'scripted:unused'\n\nasync def run(ctx):\n    return None\n"


def make_task(root: Path):
    task = root / "trivial"
    for sub in ("environment", "tests"):
        (task / sub).mkdir(parents=True)
    (task / "tests" / "test.sh").write_text("#!/bin/bash\necho 0 > /logs/verifier/reward.txt\n")
    (task / "task.toml").write_text("[agent]\ntimeout_sec = 60\n")
    (task / "instruction.md").write_text("Nothing to do.\n")
    (task / "environment" / "Dockerfile").write_text("FROM climb-base:bookworm\n")
    return load_task(task)


async def jail_sample(agent: HarnessAgent, task, root: Path, index: int) -> float:
    ctx = AgentContext(task=task, env=None, logs_dir=root / f"trial{index}" / "agent", timeout_sec=60,  # type: ignore[arg-type]
                       user=None, workdir="/app", trial_id=f"bench{index}", run_id="bench")
    started = time.perf_counter()
    await agent.run(ctx)
    return time.perf_counter() - started


def floor_sample() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
    return time.perf_counter() - started


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="climb-bench-jail-") as tmp:
        root = Path(tmp)
        (root / "agent.py").write_text(AGENT)
        agent = HarnessAgent(root / "agent.py", ModelSettings())
        task = make_task(root)
        await jail_sample(agent, task, root, -1)  # warm the page cache and bubblewrap's feature check
        jail, floor = [], []
        for index in range(ARGS.n):  # interleaved, so drift in the machine's load hits both alike
            jail.append(await jail_sample(agent, task, root, index))
            floor.append(floor_sample())
    jail_ms, floor_ms = statistics.median(jail) * 1000, statistics.median(floor) * 1000
    print(f"source {ARGS.source}: jail p10-p90 {sorted(jail)[len(jail) // 10] * 1000:.1f}-"
          f"{sorted(jail)[len(jail) * 9 // 10] * 1000:.1f} ms")
    print(f"jail_spawn_ms={jail_ms:.1f} python_floor_ms={floor_ms:.1f} ratio={jail_ms / floor_ms:.2f}")


if __name__ == "__main__":
    asyncio.run(main())

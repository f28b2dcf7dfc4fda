"""Start-up time of the `climb` command: every `climb ... --help` against `python -c pass`, same run.

    .venv/bin/python bench/cli_startup.py [-r REPEATS]

Each command line is run REPEATS times (default 9), interleaved with the reference so that
machine load hits both alike; the median wall time counts. One line per command: seconds and
the ratio to the bare interpreter. The last line is `max_seconds=X max_ratio=Y command=...`,
the slowest command. Goal (issue 12): every command under 0.4 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meta.cli.parsers import build_parser  # noqa: E402

GOAL_SEC = 0.4


def command_lines(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every (sub)command of the parser, nested ones included, as argv prefixes."""
    lines = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += command_lines(sub, (*prefix, name))
    return lines


def climb_argv() -> list[str]:
    # What the `climb` script runs, taken from this checkout (cwd), whatever the venv installed.
    return [sys.executable, "-m", "meta.cli.main"]


def wall(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeats", type=int, default=9)
    args = parser.parse_args()
    reference = [sys.executable, "-c", "pass"]
    lines = command_lines(build_parser())
    times: dict[tuple[str, ...], list[float]] = {line: [] for line in lines}
    floor: list[float] = []
    for _ in range(args.repeats):
        for line in lines:
            floor.append(wall(reference))
            times[line].append(wall([*climb_argv(), *line, "--help"]))
    base = statistics.median(floor)
    print(f"{'python -c pass':32} {base:6.3f} s")
    worst = max(lines, key=lambda line: statistics.median(times[line]))
    for line in lines:
        seconds = statistics.median(times[line])
        flag = "" if seconds < GOAL_SEC else f"   over {GOAL_SEC} s"
        print(f"{' '.join(('climb', *line, '--help')):32} {seconds:6.3f} s  x{seconds / base:5.1f}{flag}")
    seconds = statistics.median(times[worst])
    print(f"max_seconds={seconds:.3f} max_ratio={seconds / base:.1f} command={' '.join(('climb', *worst))}")


if __name__ == "__main__":
    main()

"""`climb suite`, `climb tasks check`, `climb gc`, `climb base-image`."""

from __future__ import annotations

import asyncio
import json
import time
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from meta.cli.envs import runner_for
from meta.cli.progress import SuiteProgress
from meta.ledger.runs import new_run_dir
from sandbox.agents import BUILTIN_AGENTS, NopAgent, OracleAgent
from sandbox.base_image import build_base_image
from sandbox.docker import connect
from sandbox.gc import gc
from sandbox.pool import TrialRequest, run_suite, run_trials
from sandbox.results import TrialResult, TrialStatus
from sandbox.task import Discovery, Task, discover
from sandbox.trial import TrialRunner

console = Console(stderr=True)


def report_load_errors(found: Discovery) -> None:
    for error in found.errors:
        console.print(Text.assemble(("task error ", "red"), str(error)), soft_wrap=True)


def _engine(args: Namespace, run_id: str, found: Discovery) -> tuple[TrialRunner, list[Task], dict[str, str]]:
    """The runner for --env; the tasks it cannot run are reported (named) and left out."""
    runner, tasks, refused = runner_for(args, run_id, found.tasks, args.concurrency)
    for message in refused.values():
        console.print(f"[red]task error[/red] {message}")
    return runner, tasks, refused


def cmd_suite(args: Namespace) -> int:
    found = discover(*args.paths)
    report_load_errors(found)
    if not found.tasks:
        console.print("[red]no runnable tasks found[/red]")
        return 2
    agent = BUILTIN_AGENTS[args.agent]()
    run_dir, run_id = new_run_dir(args.out, "suite")
    runner, tasks, refused = _engine(args, run_id, found)
    if not tasks:
        console.print("[red]no task can run on this engine[/red]")
        return 2
    total = len(tasks) * args.repeats
    console.print(f"run {run_id}: {len(tasks)} tasks x {args.repeats} with agent {agent.name} on {runner.engine} "
                  f"-> {run_dir}", soft_wrap=True, highlight=False)
    with SuiteProgress(total, f"{agent.name}", console) as progress:
        suite = asyncio.run(run_suite(tasks, agent, runner, run_dir, repeats=args.repeats,
                                      concurrency=args.concurrency, observer=progress))
    summary = suite.summary()
    table = Table(title=f"suite {run_id}")
    for col in ("task", "mean reward", "trials"):
        table.add_column(col)
    counts: dict[str, int] = {}
    for result in suite.results:
        counts[result.task] = counts.get(result.task, 0) + 1
    for task, mean in summary["per_task"].items():
        table.add_row(task, f"{mean:.3f}", str(counts.get(task, 0)))
    Console().print(table)
    mean = summary["mean_reward"]
    counts = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in summary["status_counts"].items())
    console.print(f"mean reward {mean:.3f}" if mean is not None else "no scored trials",
                  f"  ({counts})  -> {run_dir / 'suite.json'}", soft_wrap=True, highlight=False)
    return 0 if not found.errors and not refused else 1


@dataclass
class CheckRow:
    task: str
    valid: bool
    oracle_reward: float | None = None
    nop_reward: float | None = None
    build_s: float | None = None
    run_s: float | None = None
    error: str | None = None


def _check_row(task: Task, oracle: TrialResult, nop: TrialResult, build_s: float) -> CheckRow:
    problems = []
    for name, result, want in (("oracle", oracle, 1.0), ("nop", nop, 0.0)):
        if result.status not in (TrialStatus.OK,):
            problems.append(f"{name}: {result.status.value}: {result.error}")
        elif result.reward is None or abs(result.reward - want) > 1e-9:
            problems.append(f"{name} scored {result.reward}, expected {want:g}")
    return CheckRow(
        task=task.id,
        valid=not problems,
        oracle_reward=oracle.reward,
        nop_reward=nop.reward,
        build_s=round(build_s, 2),
        run_s=round(sum(r.timings.total_s - r.timings.build_s for r in (oracle, nop)), 2),
        error="; ".join(problems) or None,
    )


async def check_tasks(tasks: list[Task], runner: TrialRunner, run_dir: Path, concurrency: int,
                      observer=None) -> list[CheckRow]:
    """Build each task, run oracle and nop on it; rows in task order."""
    semaphore = asyncio.Semaphore(concurrency)
    oracle, nop = OracleAgent(), NopAgent()
    build_s: dict[str, float] = {}

    async def build(task: Task) -> None:
        async with semaphore:
            started = time.monotonic()
            try:
                if runner.images is not None:  # another engine builds as its trials start
                    await runner.images.ensure(task)
            except Exception:  # the trials below report it as infra_error with the cause
                pass
            build_s[task.id] = time.monotonic() - started

    await asyncio.gather(*(build(task) for task in tasks))
    requests = [TrialRequest(task, 0, agent, agent.name) for task in tasks for agent in (oracle, nop)]
    suite = await run_trials(requests, runner, run_dir, semaphore=semaphore, observer=observer)
    by_key = {(r.task, r.agent): r for r in suite.results}
    return [_check_row(t, by_key[(t.id, "oracle")], by_key[(t.id, "nop")], build_s[t.id]) for t in tasks]


def cmd_tasks_check(args: Namespace) -> int:
    found = discover(*args.paths)
    rows = [CheckRow(task=(e.task_dir or e.path).name, valid=False, error=str(e)) for e in found.errors]
    if not rows and not found.tasks:  # nothing checked is not "all valid"
        console.print(Text(f"no task found under {', '.join(str(p) for p in args.paths)}: a task is a folder "
                           "holding task.toml (see README, Task format)", style="red"), soft_wrap=True)
        return 2
    if found.tasks:
        run_dir, run_id = new_run_dir(args.out, "check")
        runner, tasks, refused = runner_for(args, run_id, found.tasks, args.concurrency)
        rows += [CheckRow(task=task_id, valid=False, error=why) for task_id, why in refused.items()]
        with SuiteProgress(2 * len(tasks), "oracle+nop", console) as progress:
            rows += asyncio.run(check_tasks(tasks, runner, run_dir, args.concurrency, progress))
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], indent=2))
    else:
        table = Table(title="task check")
        for col in ("task", "oracle", "nop", "build s", "run s", "verdict"):
            table.add_column(col)
        fmt = lambda v: "-" if v is None else f"{v:g}"  # noqa: E731
        for row in rows:
            verdict = Text("valid", style="green") if row.valid else Text(f"invalid {row.error}", style="red")
            table.add_row(Text(row.task), fmt(row.oracle_reward), fmt(row.nop_reward), fmt(row.build_s),
                          fmt(row.run_s), verdict)
        Console().print(table)
    invalid = sum(not row.valid for row in rows)
    console.print(f"{len(rows) - invalid} valid, {invalid} invalid")
    return 1 if invalid else 0


def cmd_gc(args: Namespace) -> int:
    report = gc(connect(), everything=args.all, images=args.images)
    for name in report.removed_containers:
        print(f"removed container {name}")
    for name in report.removed_images:
        print(f"removed image {name}")
    if report.removed_doors:
        print(f"removed {len(report.removed_doors)} verifier door folder(s) of containers that are gone")
    if report.kept_live:
        print(f"left {len(report.kept_live)} container(s) of live runs (use --all to remove them too)")
    if report.images_skipped:
        print("left task images alone: a live run may still need them (use --all --images)")
    return 0


def cmd_base_image(args: Namespace) -> int:
    built = build_base_image(connect(), args.name, force=args.force, mirror=args.mirror,
                             use_registry=not args.no_registry, log=lambda m: console.print(Text(m)))
    console.print(f"{args.name} {'built' if built else 'ready'}")
    return 0

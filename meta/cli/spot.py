"""`climb spot TASK...`: run the current agent on a few tasks and show each turn as it happens."""

from __future__ import annotations

import asyncio
import json
import signal
from argparse import Namespace
from pathlib import Path

from rich.console import Console
from rich.text import Text

from meta.cli.envs import runner_for
from meta.cli.turns import VERIFIER_TAIL_LINES, SpotStream, TrialWatcher, clip
from meta.ledger.runs import new_run_dir
from meta.gates.static import COMPUTED, task_model
from sandbox.pool import TrialRequest, run_trials
from sandbox.results import TrialResult
from sandbox.task import Task, TaskLoadError, discover, load_task
from sandbox.trial import TrialConfig
from task_agent.host import HarnessAgent, ModelSettings
from task_agent.jail import JailConfig
from meta.climb.errors import SetupError
from models import PriceTable, Probe, deprecation, probe_all


def resolve_tasks(names: list[str], tasks_root: Path) -> tuple[list[Task], list[str]]:
    """Task folders given by path, or by name under tasks_root."""
    tasks, errors = [], []
    known = {task.id: task for task in discover(tasks_root).tasks} if tasks_root.is_dir() else {}
    for name in names:
        path = Path(name)
        try:
            if (path / "task.toml").is_file():
                tasks.append(load_task(path))
            elif name in known:
                tasks.append(known[name])
            else:
                errors.append(f"{name}: no task folder of that name (looked in {tasks_root} and at the path)")
        except TaskLoadError as exc:
            errors.append(str(exc))
    return tasks, errors


def render_end(watcher: TrialWatcher, result: TrialResult) -> None:
    """After the last turn: the verifier's tail, the reward, totals, tamper flags, the folder."""
    trial_dir = Path(result.trial_dir)
    say = watcher.say
    stdout = trial_dir / "verifier" / "test-stdout.txt"
    if stdout.is_file():
        tail = "\n".join(stdout.read_text(errors="replace").splitlines()[-VERIFIER_TAIL_LINES:])
        say([Text("verifier output (tail)", style="bold cyan"), Text(clip(tail, VERIFIER_TAIL_LINES) or "(empty)")])
    elif not watcher.steps_shown:
        say([Text("no trajectory and no verifier output were written", style="yellow")])
    usage = result.usage or {}
    prompt = sum(usage.get(k, 0) for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens"))
    colour = "green" if result.reward == 1.0 else "red" if not result.reward else "yellow"
    say([Text.assemble(("reward ", "bold"), (f"{result.reward}", f"bold {colour}"),
                       f"   status {result.status.value}   wall {result.timings.total_s:.1f}s"),
         Text(f"turns {watcher.turns}   tool calls {watcher.calls}   tokens in {prompt} "
              f"(cache read {usage.get('cache_read_tokens', 0)}) out {usage.get('output_tokens', 0)}   "
              f"cost ${usage.get('cost_usd', 0):.4f}"),
         Text(f"model {result.model}")])
    say(tamper_lines(trial_dir / "result.json"))
    if result.error:
        say([Text(f"error: {result.error}", style="red")])
    say([Text(f"artifacts: {trial_dir}", style="dim")])


def tamper_lines(result_file: Path) -> list[Text]:
    """The tamper audit's flags, when the sandbox wrote one into result.json."""
    try:
        audit = json.loads(result_file.read_text()).get("tamper")
    except (OSError, ValueError, AttributeError):
        return []
    flags = [f for f in (audit.get("flags") if isinstance(audit, dict) else None) or [] if isinstance(f, dict)]
    if not flags:
        return []
    lines = [Text(f"tamper audit: {len(flags)} change(s) that could sway the verifier", style="bold red")]
    lines += [Text(f"  {f.get('change', '?')} {f.get('path', '?')}: {f.get('reason', '')}", style="red")
              for f in flags[:10]]
    if len(flags) > 10:
        lines.append(Text(f"  … and {len(flags) - 10} more in result.json", style="red"))
    return lines


def cmd_spot(args: Namespace) -> int:
    console = Console()
    tasks, errors = resolve_tasks(args.tasks, args.tasks_root)
    for error in errors:
        console.print(Text(error, style="red"), soft_wrap=True)
    if not tasks:
        return 2
    agent_file = Path(args.agent_file)
    prices = PriceTable.load(args.prices) if args.prices else None
    model = task_model(args.task_model, agent_file.read_text() if agent_file.is_file() else "")
    if model and model != COMPUTED:  # fail in seconds, naming the model and the server, not in every trial
        (result,) = asyncio.run(probe_all([Probe(model, args.base_url)]))
        if result.error:
            raise SetupError(result.error)
        for warning in filter(None, (result.warning, deprecation(model, prices or PriceTable()))):
            console.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
    models = ModelSettings(task_model=args.task_model, base_url=args.base_url, prices=prices)
    agent = HarnessAgent(agent_file, models, JailConfig(kind=args.jail))
    run_dir, run_id = new_run_dir(args.out, "spot")
    runner, tasks, refused = runner_for(args, run_id, tasks, args.concurrency, TrialConfig())
    for message in refused.values():
        console.print(f"[red]{message}[/red]", soft_wrap=True, highlight=False)
    errors += list(refused.values())
    requests = [TrialRequest(task, rep, agent) for task in tasks for rep in range(args.repeats)]
    stream = SpotStream(console, several=len(requests) > 1, ending=render_end)

    async def run() -> list[TrialResult] | None:
        # SIGTERM (a supervisor, `kill`) ends spot like Ctrl-C does: the trials are cancelled and
        # their cleanup removes the containers, instead of the process dying with them running.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        try:
            suite = await run_trials(requests, runner, run_dir, semaphore=asyncio.Semaphore(args.concurrency),
                                     observer=stream)
        except asyncio.CancelledError:
            return None
        await stream.drain()
        return suite.results

    results = asyncio.run(run())
    if results is None:
        console.print(Text(f"stopped (SIGTERM); containers removed. Trials so far: {run_dir}", style="yellow"),
                      soft_wrap=True)
        return 128 + signal.SIGTERM
    scored = [r.score for r in results if r.score is not None]
    if scored:
        console.print(f"\nmean reward {sum(scored) / len(scored):.3f} over {len(scored)} scored trial(s); "
                      f"run folder {run_dir}", soft_wrap=True, highlight=False)
    return 0 if not errors else 1

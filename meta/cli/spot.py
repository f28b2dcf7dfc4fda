"""`climb spot TASK...`: run the current agent on a few tasks and show what happened."""

from __future__ import annotations

import asyncio
import json
from argparse import Namespace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from meta.cli.envs import runner_for
from meta.cli.progress import SuiteProgress
from meta.ledger.runs import new_run_dir
from meta.gates.static import COMPUTED, task_model
from sandbox.pool import TrialRequest, run_trials
from sandbox.results import TrialResult
from sandbox.task import Task, TaskLoadError, discover, load_task
from sandbox.trial import TrialConfig
from task_agent.host import HarnessAgent, ModelSettings
from task_agent.jail import JailConfig
from models import PriceTable, check_model_access

OUTPUT_LINES = 25
VERIFIER_TAIL_LINES = 20


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


def _clip(text: str, lines: int = OUTPUT_LINES) -> str:
    rows = text.rstrip().splitlines()
    if len(rows) <= lines:
        return "\n".join(rows)
    head, tail = rows[: lines // 2], rows[-(lines // 2):]
    return "\n".join([*head, f"... [{len(rows) - len(head) - len(tail)} lines cut] ...", *tail])


def render_trajectory(doc: dict[str, Any]) -> list:
    parts: list = []
    for step in doc.get("steps", []):
        source = step["source"]
        if source == "system":
            parts.append(Panel(_clip(step["message"], 8), title="system prompt", border_style="dim"))
        elif source == "user":
            parts.append(Panel(_clip(step["message"], 15), title=f"user (step {step['step_id']})", border_style="blue"))
        else:
            metrics = step.get("metrics") or {}
            title = (f"agent step {step['step_id']}  in {metrics.get('prompt_tokens', 0)} / "
                     f"out {metrics.get('completion_tokens', 0)} tok  ${metrics.get('cost_usd', 0):.4f}")
            body = Text()
            if step.get("reasoning_content"):
                body.append(_clip(step["reasoning_content"], 6) + "\n", style="italic dim")
            if step.get("message"):
                body.append(step["message"].strip() + "\n")
            outputs = {r["source_call_id"]: r["content"] for r in (step.get("observation") or {}).get("results", [])}
            for call in step.get("tool_calls") or []:
                args = call["arguments"]
                shown = args.get("command") if isinstance(args, dict) and "command" in args else json.dumps(args)
                body.append(f"$ {call['function_name']}: ", style="bold green")
                body.append(f"{shown}\n", style="green")
                if call["tool_call_id"] in outputs:
                    body.append(_clip(outputs[call["tool_call_id"]]) + "\n", style="dim")
            parts.append(Panel(body, title=title, border_style="magenta"))
    return parts


def render_trial(console: Console, result: TrialResult) -> None:
    trial_dir = Path(result.trial_dir)
    console.print(Rule(f"[bold]{result.task}[/bold]  repeat {result.repeat}"))
    trajectory = trial_dir / "agent" / "trajectory.json"
    steps: list[dict[str, Any]] = []
    if trajectory.is_file():
        doc = json.loads(trajectory.read_text())
        steps = doc.get("steps", [])
        for part in render_trajectory(doc):
            console.print(part)
    else:
        console.print("[yellow]no trajectory was written[/yellow]")
    stdout = trial_dir / "verifier" / "test-stdout.txt"
    if stdout.is_file():
        tail = "\n".join(stdout.read_text(errors="replace").splitlines()[-VERIFIER_TAIL_LINES:])
        console.print(Panel(tail or "(empty)", title="verifier output (tail)", border_style="cyan"))
    usage = result.usage or {}
    prompt = sum(usage.get(k, 0) for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens"))
    turns = sum(step["source"] == "agent" for step in steps)
    tool_calls = sum(len(step.get("tool_calls") or []) for step in steps)
    colour = "green" if result.reward == 1.0 else "red" if not result.reward else "yellow"
    console.print(Text.assemble(("reward ", "bold"), (f"{result.reward}", f"bold {colour}"),
                                f"   status {result.status.value}   wall {result.timings.total_s:.1f}s"))
    console.print(f"turns {turns}   tool calls {tool_calls}   tokens in {prompt} "
                  f"(cache read {usage.get('cache_read_tokens', 0)}) out {usage.get('output_tokens', 0)}   "
                  f"cost ${usage.get('cost_usd', 0):.4f}", highlight=False)
    # Long values go out unwrapped, so a path can be copied whole.
    console.print(f"model {result.model}", highlight=False, soft_wrap=True)
    if result.error:
        console.print(Text(f"error: {result.error}", style="red"))
    console.print(Text(f"artifacts: {trial_dir}", style="dim"), soft_wrap=True)


def cmd_spot(args: Namespace) -> int:
    console = Console()
    tasks, errors = resolve_tasks(args.tasks, args.tasks_root)
    for error in errors:
        console.print(f"[red]{error}[/red]")
    if not tasks:
        return 2
    agent_file = Path(args.agent_file)
    model = task_model(args.task_model, agent_file.read_text() if agent_file.is_file() else "")
    if model and model != COMPUTED:  # fail in seconds, naming the variable, not in every trial
        check_model_access(model, args.base_url)
    prices = PriceTable.load(args.prices) if args.prices else None
    models = ModelSettings(task_model=args.task_model, base_url=args.base_url, prices=prices)
    agent = HarnessAgent(agent_file, models, JailConfig(kind=args.jail))
    run_dir, run_id = new_run_dir(args.out, "spot")
    runner, tasks, refused = runner_for(args, run_id, tasks, args.concurrency, TrialConfig())
    for message in refused.values():
        console.print(f"[red]{message}[/red]")
    errors += list(refused.values())
    requests = [TrialRequest(task, rep, agent) for task in tasks for rep in range(args.repeats)]
    with SuiteProgress(len(requests), "spot", Console(stderr=True)) as progress:
        suite = asyncio.run(run_trials(requests, runner, run_dir, semaphore=asyncio.Semaphore(args.concurrency),
                                       observer=progress))
    for result in sorted(suite.results, key=lambda r: (r.task, r.repeat)):
        render_trial(console, result)
    scored = [r.score for r in suite.results if r.score is not None]
    if scored:
        console.print(f"\nmean reward {sum(scored) / len(scored):.3f} over {len(scored)} scored trial(s); "
                      f"run folder {run_dir}")
    return 0 if not errors else 1

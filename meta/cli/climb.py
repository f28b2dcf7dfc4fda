"""`climb run`: start or resume a climb, with a live dashboard and clean interruption."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from argparse import Namespace
from pathlib import Path

from rich.console import Console
from rich.text import Text

from durable import write_atomic
from meta.climb.loop import Climb
from meta.climb.config import ClimbConfig, SplitConfig, StopConfig, ThinkingConfig
from meta.climb.errors import SetupError
from meta.climb.preflight import agent_source, check_models
from meta.climb.setup import build_context
from meta.cli.dashboard import Dashboard
from meta.cli.envs import env_choice
from meta.decide.config import DecideConfig
from meta.climb.final import format_table
from meta.ledger.runs import new_run_dir
from meta.ledger.spend import spend_by_role, spend_text
from task_agent.jail import JailConfig

console = Console(stderr=True)


def git_root(path: Path) -> Path:
    proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SetupError(f"{path} is not inside a git repository: the climb needs one (git init && git commit)")
    return Path(proc.stdout.strip())


def config_from_args(args: Namespace) -> ClimbConfig:
    stop = StopConfig(hours=args.hours, max_experiments=args.max_experiments, budget_usd=args.budget_usd,
                      plateau=args.plateau)
    heldout = args.heldout
    meta_thinking = ThinkingConfig(thinking=args.meta_thinking, effort=args.meta_effort)
    judge_thinking = None
    if args.judge_thinking is not None or args.judge_effort is not None:
        judge_thinking = ThinkingConfig(
            thinking=meta_thinking.thinking if args.judge_thinking is None else args.judge_thinking,
            effort=args.judge_effort or meta_thinking.effort)
    split = SplitConfig(heldout_fraction=args.heldout_fraction, seed=args.seed,
                        heldout=[t.strip() for t in heldout.split(",") if t.strip()] if heldout else None)
    return ClimbConfig(
        tasks=[p.resolve() for p in args.tasks], repo=git_root(Path(args.repo)), agent_path=args.agent_path,
        program=_program(args), meta_model=args.meta_model,
        task_model=args.task_model, judge_model=args.judge_model,
        allowed_models=[m.strip() for m in args.allowed_models.split(",")] if args.allowed_models else None,
        base_url=args.base_url, meta_base_url=args.meta_base_url, split=split, stop=stop,
        prices=args.prices.resolve() if args.prices else None,
        decide=DecideConfig(rule=args.rule, **({"alpha": args.alpha} if args.alpha is not None else {})),
        jail=JailConfig(kind=args.jail), env=env_choice(args),
        baseline_repeats=args.baseline_repeats, concurrency=args.concurrency, seed=args.seed,
        final_heldout_repeats=args.final_repeats[0], final_train_repeats=args.final_repeats[1],
        spot_budget=args.spot_budget, meta_max_turns=args.meta_max_turns, meta_thinking=meta_thinking,
        judge_thinking=judge_thinking,
    )


def _program(args: Namespace) -> Path | None:
    """--program, else a program.md here or at the repository's top, else none (no directives)."""
    if args.program:
        return Path(args.program).resolve()
    for where in (Path("program.md"), Path(args.repo) / "program.md"):
        if where.is_file():
            return where.resolve()
    return None


def _resume_config(args: Namespace) -> tuple[ClimbConfig, Path, str]:
    run_dir = Path(args.resume).resolve()
    saved = run_dir / "config.json"
    if not saved.is_file():
        raise SetupError(f"{run_dir} is not a climb run folder (no config.json)")
    config = ClimbConfig.model_validate_json(saved.read_text())
    overrides = {k: getattr(args, k) for k in ("hours", "max_experiments", "budget_usd", "plateau")
                 if getattr(args, k) is not None}
    if overrides:
        config = config.model_copy(update={"stop": config.stop.model_copy(update=overrides)})
        write_atomic(saved, config.model_dump_json(indent=2))
    state = json.loads((run_dir / "state.json").read_text()) if (run_dir / "state.json").exists() else {}
    run_id = state.get("run_id") or run_dir.name
    return config, run_dir, run_id


def cmd_run(args: Namespace, report: bool = False) -> int:
    """Start or resume a climb; ``report`` writes report.html at the end (the demo does)."""
    if args.resume:
        config, run_dir, run_id = _resume_config(args)
        busy = check_models([config], [agent_source(config, run_dir)])
    else:
        if not args.tasks or not args.meta_model:
            console.print("[red]climb run needs TASKS and --meta-model (or --resume RUN_DIR)[/red]")
            return 2
        config = config_from_args(args)
        # Before anything is written or built: a blind budget, a missing key, a dead server or a
        # misspelled model fails in seconds, named.
        busy = check_models([config], [agent_source(config)])
        run_dir, run_id = new_run_dir(args.out, "climb")
    for warning in busy:
        say(f"warning: {warning}", "yellow")
    with Dashboard(console, live=not args.no_dashboard) as dashboard:
        ctx = build_context(config, run_dir, run_id, resume=bool(args.resume), view=dashboard, observer=dashboard)
        climb = Climb(ctx)
        say(f"climb {run_id}: {len(ctx.train)} train / {len(ctx.heldout)} held-out tasks -> {run_dir}")
        for warning in ctx.warnings:
            say(f"warning: {warning}", "yellow")
        state = asyncio.run(_run_with_signals(climb))
        if state is None:  # stopped now: trials clean up as they are cancelled; sweep whatever was mid-start
            ctx.evaluator.trials.sweep()
    if state is None:
        say(f"stopped now; containers removed. Resume with: climb run --resume {run_dir}", "yellow")
        return 130
    say(f"\nclimb ended: {state.stop_reason}")
    if state.final:
        say(format_table(state.final))
    say(f"spend: {spend_text(spend_by_role(ctx.tracker.by_role()))}")
    say(f"ledger: {run_dir / 'results.tsv'}   branch: climb/{run_id}")
    if report:
        from meta.report.folder import write_report  # matplotlib: loaded only once the climb is done

        say(f"report: {write_report(run_dir).path}  (open it in a browser)", "bold")
    else:
        say(f"report: climb report {run_dir}")
    return 0


def say(text: str, style: str = "") -> None:
    """A line for people: never read as markup, never wrapped mid-path (a path stays copyable)."""
    console.print(Text(text, style=style), soft_wrap=True, highlight=False)


async def _run_with_signals(climb: Climb):
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_sigint() -> None:
        if climb.stop_requested is None:
            climb.stop_requested = "interrupted (Ctrl-C)"
            console.print("[yellow]finishing the current step, then stopping; Ctrl-C again stops now[/yellow]")
        else:
            main.cancel()

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    loop.add_signal_handler(signal.SIGTERM, on_sigint)
    try:
        return await climb.run()
    except asyncio.CancelledError:
        climb.save()
        return None

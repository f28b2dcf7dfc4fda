"""`climb run`: start or resume a climb, with a live dashboard and clean interruption."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from argparse import Namespace
from pathlib import Path

from rich.console import Console

from meta.climb.loop import Climb
from meta.climb.config import ClimbConfig, SplitConfig, StopConfig
from meta.climb.setup import SetupError, build_context, check_models
from meta.cli.dashboard import Dashboard
from meta.cli.envs import env_choice
from meta.decide.config import DecideConfig
from meta.climb.final import format_table
from meta.ledger.runs import new_run_dir
from sandbox.docker import LABEL_RUN, sweep
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
    split = SplitConfig(heldout_fraction=args.heldout_fraction, seed=args.seed,
                        heldout=[t.strip() for t in heldout.split(",") if t.strip()] if heldout else None)
    return ClimbConfig(
        tasks=[p.resolve() for p in args.tasks], repo=git_root(Path(args.repo)), agent_path=args.agent_path,
        program=Path(args.program).resolve() if args.program else None, meta_model=args.meta_model,
        task_model=args.task_model, judge_model=args.judge_model,
        allowed_models=[m.strip() for m in args.allowed_models.split(",")] if args.allowed_models else None,
        base_url=args.base_url, meta_base_url=args.meta_base_url, split=split, stop=stop,
        prices=args.prices.resolve() if args.prices else None,
        decide=DecideConfig(rule=args.rule, **({"alpha": args.alpha} if args.alpha is not None else {})),
        jail=JailConfig(kind=args.jail), env=env_choice(args),
        baseline_repeats=args.baseline_repeats, concurrency=args.concurrency, seed=args.seed,
        spot_budget=args.spot_budget,
    )


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
        saved.write_text(config.model_dump_json(indent=2))
    state = json.loads((run_dir / "state.json").read_text()) if (run_dir / "state.json").exists() else {}
    run_id = state.get("run_id") or run_dir.name
    return config, run_dir, run_id


def cmd_run(args: Namespace) -> int:
    if args.resume:
        config, run_dir, run_id = _resume_config(args)
        check_models(config)
    else:
        if not args.tasks or not args.meta_model:
            console.print("[red]climb run needs TASKS and --meta-model (or --resume RUN_DIR)[/red]")
            return 2
        config = config_from_args(args)
        check_models(config)  # before anything is written: a missing key fails in seconds
        run_dir, run_id = new_run_dir(args.out, "climb")
    with Dashboard(console, live=not args.no_dashboard) as dashboard:
        ctx = build_context(config, run_dir, run_id, resume=bool(args.resume), view=dashboard, observer=dashboard)
        climb = Climb(ctx)
        console.print(f"climb {run_id}: {len(ctx.train)} train / {len(ctx.heldout)} held-out tasks -> {run_dir}")
        for warning in ctx.warnings:
            console.print(f"[yellow]warning: {warning}[/yellow]")
        state = asyncio.run(_run_with_signals(climb))
        if state is None and ctx.client is not None:  # stopped now: trials clean up as they are cancelled;
            sweep(ctx.client, {LABEL_RUN: run_id})  # sweep whatever was mid-start
    if state is None:
        console.print(f"[yellow]stopped now; containers removed. Resume with: climb run --resume {run_dir}[/yellow]")
        return 130
    console.print(f"\nclimb ended: {state.stop_reason}")
    if state.final:
        console.print(format_table(state.final))
    console.print(f"ledger: {run_dir / 'results.tsv'}   branch: climb/{run_id}")
    return 0


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

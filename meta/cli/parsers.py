"""The `climb` command line: every command's arguments, and nothing else.

Import-light on purpose: `climb --help` and the demo (which builds a `climb run` from its own
arguments) load this module only; a command's module loads when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sandbox.base_image import BASE_IMAGE


def _env_options(p) -> None:
    """Where trials run; the same flags on every command that runs trials."""
    p.add_argument("--env", help="docker (default: our own local Docker), or harbor:<type> (one of Harbor's "
                                 "environments: docker, daytona, modal, e2b, ...) or harbor:<module>:<Class>")
    p.add_argument("--env-option", action="append", metavar="KEY=VALUE",
                   help="an option of the Harbor environment (its --ek); repeatable")


def _sandbox_commands(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser("suite", help="run tasks through the sandbox with a built-in agent")
    p.add_argument("paths", nargs="+", type=Path, help="task folders or folders of tasks")
    p.add_argument("--agent", choices=["oracle", "nop"], default="oracle")
    p.add_argument("-n", "--concurrency", type=int, default=4)
    p.add_argument("-k", "--repeats", type=int, default=1)
    p.add_argument("--out", type=Path, help="run folder (default runs/<run-id>)")
    _env_options(p)
    p.set_defaults(func="meta.cli.sandbox:cmd_suite")

    tasks = sub.add_parser("tasks", help="task utilities").add_subparsers(dest="tasks_cmd", required=True)
    p = tasks.add_parser("check", help="build each task; oracle must score the max and nop 0")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("-n", "--concurrency", type=int, default=4)
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.add_argument("--out", type=Path, help="run folder (default runs/<run-id>)")
    _env_options(p)
    p.set_defaults(func="meta.cli.sandbox:cmd_tasks_check")

    p = sub.add_parser("gc", help="remove containers left by dead runs (found by label)")
    p.add_argument("--all", action="store_true", help="also containers of live runs")
    p.add_argument("--images", action="store_true", help="also task images no container uses (only when no live run is left, or with --all)")
    p.set_defaults(func="meta.cli.sandbox:cmd_gc")

    p = sub.add_parser("base-image", help=f"build {BASE_IMAGE}, the image example tasks start FROM")
    p.add_argument("--name", default=BASE_IMAGE)
    p.add_argument("--force", action="store_true", help="rebuild even if it exists")
    p.add_argument("--mirror", help="Debian mirror for debootstrap (default: the one apt uses)")
    p.add_argument("--no-registry", action="store_true", help="skip trying debian:bookworm-slim")
    p.set_defaults(func="meta.cli.sandbox:cmd_base_image")


def _agent_commands(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser("spot", help="run the current agent on one or a few tasks and show what happened")
    p.add_argument("tasks", nargs="+", help="task folders, or task names under --tasks-root")
    p.add_argument("--tasks-root", type=Path, default=Path("tasks"))
    p.add_argument("--task-model", help="provider:model-id, overriding agent.py's MODEL")
    p.add_argument("--base-url", help="an Anthropic- or OpenAI-compatible server for the model")
    p.add_argument("--agent-file", type=Path, default=Path("task_agent/agent.py"))
    p.add_argument("--prices", type=Path, help="TOML/JSON prices for models the built-in table lacks")
    p.add_argument("-k", "--repeats", type=int, default=1)
    p.add_argument("-n", "--concurrency", type=int, default=4)
    p.add_argument("--jail", choices=["bwrap", "none"], default="bwrap",
                   help="none runs agent.py without isolation (machines without bubblewrap)")
    p.add_argument("--out", type=Path, help="run folder (default runs/<run-id>)")
    _env_options(p)
    p.set_defaults(func="meta.cli.spot:cmd_spot")


def _climb_options(p: argparse.ArgumentParser, stop) -> None:
    """Options every climb takes, whether run alone or as a pairings cell (one place, so the
    two commands cannot drift apart); the stop conditions go into ``stop``."""
    stop.add_argument("--hours", type=float)
    stop.add_argument("--max-experiments", type=int)
    stop.add_argument("--budget-usd", type=float)
    stop.add_argument("--plateau", type=int, help="stop after N experiments without a keep")
    p.add_argument("--judge-model", help="the anti-overfitting reviewer (default: the meta model)")
    p.add_argument("--base-url", help="Anthropic/OpenAI-compatible server for the task model")
    p.add_argument("--meta-base-url", help="the same for the meta and judge models")
    p.add_argument("--prices", type=Path, help="TOML/JSON prices for models the built-in table lacks")
    p.add_argument("--program", default="program.md", help="the human's directives (default program.md)")
    p.add_argument("--repo", default=".", help="git repository holding the agent (default: here)")
    p.add_argument("--agent-path", default="task_agent/agent.py")
    p.add_argument("--heldout-fraction", type=float, default=0.2)
    p.add_argument("--heldout", help="comma-separated held-out task ids (instead of --heldout-fraction)")
    p.add_argument("--seed", type=int, default=0, help="split seed and first sampling seed")
    p.add_argument("--rule", choices=["staged", "naive"], default="staged", help="the keep rule")
    p.add_argument("--alpha", type=float, help="level of the staged keep test (default 0.2, see DecideConfig)")
    p.add_argument("--baseline-repeats", type=int, default=2)
    p.add_argument("--spot-budget", type=int, default=8, help="spot-check trials per experiment")
    p.add_argument("--jail", choices=["bwrap", "none"], default="bwrap")
    _env_options(p)
    p.add_argument("--no-dashboard", action="store_true", help="plain log lines instead of the live view")


def _climb_commands(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser("run", help="climb: improve agent.py on a benchmark, unattended")
    p.add_argument("tasks", nargs="*", type=Path, help="task folders or folders of tasks")
    p.add_argument("--meta-model", help="provider:model-id of the meta-agent")
    p.add_argument("--task-model", help="fix the task agent's model (else agent.py's MODEL)")
    p.add_argument("--allowed-models", help="comma-separated models agent.py's MODEL may name")
    _climb_options(p, p)
    p.add_argument("-n", "--concurrency", type=int, default=4)
    p.add_argument("--out", type=Path, help="run folder (default runs/<run-id>)")
    p.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue a stopped or killed climb")
    p.set_defaults(func="meta.cli.climb:cmd_run")


def _pairings_commands(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser("pairings", help="climbs for a matrix of meta model x task model x seed, and the matrix")
    p.add_argument("tasks", nargs="*", type=Path, help="task folders or folders of tasks")
    p.add_argument("--meta", help="comma-separated provider:model-id of the meta-agents")
    p.add_argument("--task", help="comma-separated provider:model-id of the task models")
    p.add_argument("--seeds", type=int, default=1, help="climbs per (meta, task) pair (default 1)")
    p.add_argument("--families", help="MODEL=FAMILY,... overriding the family guessed from the model id")
    _climb_options(p, p.add_argument_group("budget per cell (the same for every cell)"))
    p.add_argument("--transfer-repeats", type=int, default=1,
                   help="repeats per held-out task of each final agent with the other task models (0: skip)")
    p.add_argument("-n", "--concurrency", type=int, help="trials at once across ALL cells (default 4)")
    p.add_argument("--out", type=Path, help="pairings folder (default runs/<run-id>)")
    p.add_argument("--resume", type=Path, metavar="DIR", help="continue a stopped or killed pairings study")
    p.set_defaults(func="meta.cli.pairings:cmd_pairings")

    p = sub.add_parser("report", help="write report.html (and PNGs) for a climb run or a pairings folder")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a climb run folder or a pairings folder")
    p.add_argument("--out", type=Path, help="where to write (default: RUN_DIR)")
    p.set_defaults(func="meta.cli.report:cmd_report")


def _demo_command(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser("demo", help="a short climb with scripted models on the example tasks (no API key)")
    p.add_argument("--tasks", type=Path, default=Path("tasks"))
    p.add_argument("--limit", type=int, help="use only the first N tasks")
    p.add_argument("-n", "--concurrency", type=int, default=4)
    p.add_argument("--out", type=Path)
    p.add_argument("--no-dashboard", action="store_true")
    p.set_defaults(func="meta.cli.demo:cmd_demo")


def _export_command(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser("export", help="write a climbed agent.py as a Harbor agent (after a leak scan)")
    p.add_argument("source", type=Path, help="a climb run folder (its final incumbent) or an agent.py")
    p.add_argument("--commit", help="export this commit's agent from the run folder instead")
    p.add_argument("--tasks", nargs="+", type=Path,
                   help="tasks to scan for leaks against (default: the climb's; required for an agent.py)")
    p.add_argument("--out", type=Path, default=Path("harbor-agent"), help="folder to write into (default harbor-agent)")
    p.add_argument("--module", default="climbed_agent", help="Python package name (default climbed_agent)")
    p.add_argument("--allow-leaks", action="store_true",
                   help="export even if the leak scan finds task data (warns; never for a leaderboard)")
    p.add_argument("--dataset", help="registry dataset of the printed leaderboard command (default: Terminal-Bench 2.1)")
    p.set_defaults(func="meta.cli.export:cmd_export")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="climb",
        description="Improve a single-file task agent on Harbor-format tasks, honestly.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _sandbox_commands(sub)
    _agent_commands(sub)
    _climb_commands(sub)
    _pairings_commands(sub)
    _demo_command(sub)
    _export_command(sub)
    return parser

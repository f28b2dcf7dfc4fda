"""The `climb` command line: every command's arguments, and nothing else.

Import-light on purpose: `climb --help` and the demo (which builds a `climb run` from its own
arguments) load this module only; a command's module loads when the command runs.

Every flag has a help sentence and says its default (``HelpFormatter`` appends it when the
sentence does not); every command ends its help with examples. Paths that must exist are
checked here, so a typo is one line naming the flag, not a traceback later.
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from meta.climb.defaults import BASELINE_REPEATS, HELDOUT_FRACTION, SPOT_BUDGET
from meta.decide.defaults import ALPHA
from meta.workspace.worktree import DEFAULT_AGENT_PATH
from meta.cli.parser_kit import HelpFormatter, command, existing_dir, existing_file, existing_path
from sandbox.defaults import BASE_IMAGE, CONCURRENCY

__all__ = ["HelpFormatter", "build_parser"]


def _env_options(p: argparse.ArgumentParser) -> None:
    """Where trials run; the same flags on every command that runs trials."""
    p.add_argument("--env", help="where trials run: docker (our own local Docker, the default), harbor:<type> "
                                 "(one of Harbor's environments: docker, daytona, modal, e2b, ...) or "
                                 "harbor:<module>:<Class> (a third-party one)")
    p.add_argument("--env-option", action="append", metavar="KEY=VALUE",
                   help="an option of the Harbor environment (its --ek), repeatable (default: none)")




def _sandbox_commands(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "suite", "run tasks through the sandbox with a built-in agent",
                 "  climb suite tasks/ --agent oracle        # every example task must score 1\n"
                 "  climb suite tasks/env-merge -k 3 --agent nop\n")
    p.add_argument("paths", nargs="+", type=existing_path, help="task folders, or folders of task folders")
    p.add_argument("--agent", choices=["oracle", "nop"], default="oracle",
                   help="oracle runs solution/solve.sh; nop does nothing")
    p.add_argument("-n", "--concurrency", type=int, default=CONCURRENCY, help="trials at once")
    p.add_argument("-k", "--repeats", type=int, default=1, help="runs of each task")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<run-id>)")
    _env_options(p)
    p.set_defaults(func="meta.cli.sandbox:cmd_suite")

    tasks = command(sub, "tasks", "task utilities", "  climb tasks check tasks/\n")
    tasks_sub = tasks.add_subparsers(dest="tasks_cmd", required=True, metavar="{check}")
    p = command(tasks_sub, "check", "build each task and check that the oracle scores the maximum and nop 0",
                 "  climb tasks check tasks/\n  climb tasks check tasks/env-merge --json\n")
    p.add_argument("paths", nargs="+", type=existing_path, help="task folders, or folders of task folders")
    p.add_argument("-n", "--concurrency", type=int, default=CONCURRENCY, help="trials at once")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<run-id>)")
    _env_options(p)
    p.set_defaults(func="meta.cli.sandbox:cmd_tasks_check")

    p = command(sub, "gc", "remove containers left by dead runs (found by their labels)",
                 "  climb gc                 # containers of runs whose process is gone\n"
                 "  climb gc --images        # and task images no container uses\n")
    p.add_argument("--all", action="store_true", help="also remove containers of live runs")
    p.add_argument("--images", action="store_true",
                   help="also remove task images no container uses (only when no live run is left, or with --all)")
    p.set_defaults(func="meta.cli.sandbox:cmd_gc")

    p = command(sub, "base-image", f"build {BASE_IMAGE}, the image the example tasks start FROM",
                 "  climb base-image\n  climb base-image --force --mirror http://deb.debian.org/debian\n")
    p.add_argument("--name", default=BASE_IMAGE, help="name:tag of the image to build")
    p.add_argument("--force", action="store_true", help="rebuild even if it exists")
    p.add_argument("--mirror", help="Debian mirror for debootstrap (default: the one apt uses)")
    p.add_argument("--no-registry", action="store_true", help="skip trying debian:bookworm-slim from a registry")
    p.set_defaults(func="meta.cli.sandbox:cmd_base_image")


def _agent_commands(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "spot", "run the current agent on one or a few tasks and show each turn as it happens",
                 "  climb spot env-merge --task-model anthropic:claude-haiku-4-5\n"
                 "  climb spot tasks/env-merge extract-emails -k 2\n"
                 "  climb spot env-merge --task-model openai:smollm2 --base-url http://127.0.0.1:8080/v1\n")
    p.add_argument("tasks", nargs="+", help="task folders, or task names under --tasks-root")
    p.add_argument("--tasks-root", type=Path, default=Path("tasks"), help="where task names are looked up")
    p.add_argument("--task-model", help="provider:model-id overriding agent.py's MODEL (default: agent.py's MODEL)")
    p.add_argument("--base-url", help="an Anthropic- or OpenAI-compatible server for the model "
                   "(default: the vendor's API, or ANTHROPIC_BASE_URL / OPENAI_BASE_URL)")
    p.add_argument("--agent-file", type=existing_file, default=Path(DEFAULT_AGENT_PATH), help="the agent to run")
    p.add_argument("--prices", type=existing_file,
                   help="TOML/JSON prices over the price database, e.g. for local models (default: genai-prices)")
    p.add_argument("-k", "--repeats", type=int, default=1, help="runs of each task")
    p.add_argument("-n", "--concurrency", type=int, default=CONCURRENCY, help="trials at once")
    p.add_argument("--jail", choices=["bwrap", "none"], default="bwrap",
                   help="none runs agent.py without isolation (machines without bubblewrap)")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<run-id>)")
    _env_options(p)
    p.set_defaults(func="meta.cli.spot:cmd_spot")


EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


def thinking(text: str) -> str | int | None:
    """``--meta-thinking``: adaptive, off, default (the API's), or a budget of tokens."""
    if text == "default":
        return None
    if text.isdigit():
        return int(text)
    if text in ("adaptive", "off"):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is none of adaptive, off, default or a number of tokens")


def _thinking_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--meta-thinking", type=thinking, default="adaptive", metavar="adaptive|off|default|N",
                   help="how the meta-agent thinks: adaptive (default), off, the API's default, or a budget "
                        "of N tokens (Anthropic models)")
    p.add_argument("--meta-effort", choices=EFFORTS, help="the meta model's effort (Anthropic effort, OpenAI "
                                                          "reasoning_effort; default: the API's)")
    p.add_argument("--judge-thinking", type=thinking, metavar="adaptive|off|default|N",
                   help="the same for the reviewer (default: as --meta-thinking)")
    p.add_argument("--judge-effort", choices=EFFORTS, help="the reviewer's effort (default: as --meta-effort)")
    p.add_argument("--meta-max-turns", type=int, default=40, help="turns of one meta-agent conversation")


def _climb_options(p: argparse.ArgumentParser, stop) -> None:
    """Options every climb takes, whether run alone or as a pairings cell (one place, so the
    two commands cannot drift apart); the stop conditions go into ``stop``."""
    stop.add_argument("--hours", type=float, help="stop after this many hours of wall-clock time (default: no limit)")
    stop.add_argument("--max-experiments", type=int, help="stop after this many experiments (default: no limit)")
    stop.add_argument("--budget-usd", type=float,
                      help="stop once this much is spent, all models together (default: no limit)")
    stop.add_argument("--plateau", type=int,
                      help="stop after N experiments in a row without a keep (default: no limit)")
    p.add_argument("--judge-model", help="the anti-overfitting reviewer (default: the meta model)")
    _thinking_options(p)
    p.add_argument("--base-url", help="an Anthropic/OpenAI-compatible server for the task model "
                   "(default: the vendor's API, or ANTHROPIC_BASE_URL / OPENAI_BASE_URL)")
    p.add_argument("--meta-base-url", help="the same for the meta and judge models (default: --base-url)")
    p.add_argument("--prices", type=existing_file,
                   help="TOML/JSON prices over the price database, e.g. for local models (default: genai-prices)")
    p.add_argument("--program", type=existing_file,
                   help="the human's directives for the meta-agent (default: program.md here, if there is one)")
    p.add_argument("--repo", type=existing_dir, default=Path("."), help="the git repository holding the agent")
    p.add_argument("--agent-path", default=DEFAULT_AGENT_PATH, help="the one file the meta-agent may edit")
    p.add_argument("--heldout-fraction", type=float, default=HELDOUT_FRACTION,
                   help="share of tasks held out of the climb")
    p.add_argument("--heldout", help="comma-separated held-out task ids (default: chosen by --heldout-fraction)")
    p.add_argument("--seed", type=int, default=0, help="split seed and first sampling seed")
    p.add_argument("--rule", choices=["staged", "naive"], default="staged",
                   help="the keep rule: staged paired tests, or naive (one full run, keep if the mean is higher)")
    p.add_argument("--alpha", type=float, help=f"level of the staged keep test (default: {ALPHA})")
    p.add_argument("--baseline-repeats", type=int, default=BASELINE_REPEATS,
                   help="runs of each train task for the baseline")
    p.add_argument("--final-repeats", type=int, nargs=2, metavar=("HELDOUT", "TRAIN"), default=[3, 2],
                   help="runs of each task in the final head-to-head, held-out then train; TRAIN 0 skips "
                   "train (default: 3 2)")
    p.add_argument("--spot-budget", type=int, default=SPOT_BUDGET,
                   help="trials the meta-agent may spend on spot checks per experiment")
    p.add_argument("--jail", choices=["bwrap", "none"], default="bwrap",
                   help="none runs agent.py without isolation (machines without bubblewrap)")
    _env_options(p)
    p.add_argument("--no-dashboard", action="store_true",
                   help="one plain line per event instead of the live view (automatic when not in a terminal)")


def _climb_commands(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "run", "climb: improve agent.py on a benchmark, unattended",
                 "  climb run tasks/ --meta-model anthropic:claude-opus-5-5 --hours 24 --budget-usd 200\n"
                 "  climb run tasks/ --meta-model openai:qwen3 --meta-base-url http://gpu:8000/v1 "
                 "--task-model openai:qwen3 --base-url http://gpu:8000/v1 --max-experiments 20\n"
                 "  climb run --resume runs/climb-20260101-120000-ab12 --hours 48\n",
                 usage="climb run TASKS... --meta-model M [options]\n       climb run --resume RUN_DIR [options]")
    p.add_argument("tasks", nargs="*", type=existing_path, help="task folders, or folders of task folders")
    required = p.add_argument_group("required (unless --resume)")
    required.add_argument("--meta-model", help="provider:model-id of the meta-agent, e.g. anthropic:claude-opus-5-5")
    p.add_argument("--task-model", help="fix the task agent's model (default: agent.py's MODEL, which may change "
                   "within --allowed-models)")
    p.add_argument("--allowed-models", help="comma-separated models agent.py's MODEL may name "
                   "(default: MODEL may not change)")
    _climb_options(p, p.add_argument_group("stop conditions (the first one reached ends the climb)"))
    p.add_argument("-n", "--concurrency", type=int, default=CONCURRENCY, help="trials at once")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<run-id>)")
    p.add_argument("--resume", type=existing_dir, metavar="RUN_DIR",
                   help="continue a stopped or killed climb; new stop conditions may be given (default: a new climb)")
    p.set_defaults(func="meta.cli.climb:cmd_run")


def _pairings_commands(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "pairings", "climbs for a matrix of meta model x task model x seed, and the matrix",
                 "  climb pairings tasks/ --meta anthropic:claude-opus-5-5,openai:gpt-5 \\\n"
                 "      --task anthropic:claude-haiku-4-5,openai:gpt-5-mini --seeds 3 --hours 6 "
                 "--judge-model anthropic:claude-opus-5-5\n"
                 "  climb pairings --resume runs/pairings-20260101-120000-ab12\n",
                 usage="climb pairings TASKS... --meta M1,M2 --task T1,T2 (--hours H | --max-experiments N | "
                       "--budget-usd X) [options]\n       climb pairings --resume DIR [options]")
    p.add_argument("tasks", nargs="*", type=existing_path, help="task folders, or folders of task folders")
    required = p.add_argument_group("required (unless --resume)")
    required.add_argument("--meta", help="comma-separated provider:model-id of the meta-agents")
    required.add_argument("--task", help="comma-separated provider:model-id of the task models")
    p.add_argument("--seeds", type=int, default=1, help="climbs per (meta, task) pair")
    p.add_argument("--families", help="MODEL=FAMILY,... overriding the family guessed from the model id "
                   "(default: the maker named by the id)")
    _climb_options(p, p.add_argument_group("budget per cell (the same for every cell; at least one is required)"))
    p.add_argument("--transfer-repeats", type=int, default=1,
                   help="repeats per held-out task of each final agent with the other task models (0 skips)")
    p.add_argument("-n", "--concurrency", type=int, help=f"trials at once across ALL cells (default: {CONCURRENCY})")
    p.add_argument("--out", type=Path, help="pairings folder (default: runs/<run-id>)")
    p.add_argument("--resume", type=existing_dir, metavar="DIR",
                   help="continue a stopped or killed pairings study (default: a new study)")
    p.set_defaults(func="meta.cli.pairings:cmd_pairings")

    p = command(sub, "report", "write report.html (and PNGs) for a climb run or a pairings folder",
                 "  climb report runs/climb-20260101-120000-ab12\n"
                 "  climb report runs/pairings-20260101-120000-ab12 --out /tmp/report\n")
    p.add_argument("run_dir", type=existing_dir, metavar="RUN_DIR", help="a climb run folder or a pairings folder")
    p.add_argument("--out", type=Path, help="where to write (default: RUN_DIR)")
    p.set_defaults(func="meta.cli.report:cmd_report")


def _demo_command(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "demo", "a short real climb with scripted models on the example tasks (no API key)",
                 "  climb demo\n  climb demo --limit 12 --no-dashboard\n")
    p.add_argument("--tasks", type=existing_dir, default=Path("tasks"), help="the example tasks")
    p.add_argument("--limit", type=int, default=8, help="use only the first N tasks (0: all of them)")
    p.add_argument("-n", "--concurrency", type=int, default=CONCURRENCY, help="trials at once")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<run-id>)")
    p.add_argument("--no-dashboard", action="store_true",
                   help="one plain line per event instead of the live view (automatic when not in a terminal)")
    p.set_defaults(func="meta.cli.demo:cmd_demo")


def _export_command(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "export", "write a climbed agent.py as a Harbor agent, after a leak scan",
                 "  climb export runs/climb-20260101-120000-ab12\n"
                 "  climb export runs/climb-20260101-120000-ab12 --commit 3f2a9c1e0b --out /tmp/agents\n"
                 "  climb export my_agent.py --tasks tasks/\n")
    p.add_argument("source", type=existing_path, help="a climb run folder (its final incumbent) or an agent.py")
    p.add_argument("--commit", help="export this commit's agent from the run folder (default: the final incumbent)")
    p.add_argument("--tasks", nargs="+", type=existing_path,
                   help="tasks to scan for leaks against (default: the climb's; required for an agent.py)")
    p.add_argument("--out", type=Path, default=Path("harbor-agent"), help="folder to write into")
    p.add_argument("--module", default="climbed_agent", help="Python package name of the agent")
    p.add_argument("--allow-leaks", action="store_true",
                   help="export even if the leak scan finds task data (warns; never for a leaderboard)")
    p.add_argument("--dataset", help="registry dataset of the printed leaderboard command "
                                     "(default: Terminal-Bench 2.1)")
    p.set_defaults(func="meta.cli.export:cmd_export")


def _version() -> str:
    try:
        return version("harness-climb")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="climb", formatter_class=HelpFormatter,
        description="Improve a single-file task agent on Harbor-format tasks, honestly.",
        epilog="examples:\n"
               "  climb demo                                   # a whole climb in about a minute, no API key\n"
               "  climb spot env-merge --task-model anthropic:claude-haiku-4-5\n"
               "  climb run tasks/ --meta-model anthropic:claude-opus-5-5 --hours 24 --budget-usd 200\n"
               "  climb report runs/<run-id>\n"
               "\n`climb COMMAND --help` says more about each command.")
    parser.add_argument("--version", action="version", version=f"climb {_version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _sandbox_commands(sub)
    _agent_commands(sub)
    _climb_commands(sub)
    _pairings_commands(sub)
    _demo_command(sub)
    _export_command(sub)
    return parser

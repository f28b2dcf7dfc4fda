"""`--env` / `--env-option` for the commands that run trials outside a climb (suite, tasks
check, spot): the runner for the chosen engine, and the tasks it cannot run, named."""

from __future__ import annotations

from argparse import Namespace

from meta.climb.errors import SetupError
from sandbox.backends import EnvChoice, make_runner, unsupported
from sandbox.task import Task
from sandbox.trial import TrialConfig, TrialRunner


def env_choice(args: Namespace) -> EnvChoice:
    """Raises SetupError naming a malformed --env or --env-option."""
    try:
        return EnvChoice.from_args(args.env, args.env_option)
    except ValueError as exc:
        raise SetupError(str(exc)) from exc


def runner_for(args: Namespace, run_id: str, tasks: list[Task], concurrency: int,
               config: TrialConfig | None = None) -> tuple[TrialRunner, list[Task], dict[str, str]]:
    """(runner, the tasks it can run, task id -> why it cannot run the others)."""
    runner = make_runner(env_choice(args), run_id, config, concurrency=concurrency)
    refused = unsupported(runner, tasks)
    return runner, [t for t in tasks if t.id not in refused], refused

"""The verifier phase and the readiness probe, inside a running container.

Verification runs nothing the agent could have replaced (see ``sandbox.helper``): the
helper and tests/ arrive behind the container's read-only door (``sandbox.stage``) or by
one ``put_archive``, one argv exec of the helper clears /tests and /logs/verifier, puts
the tests in and runs test.sh (two execs when the verifier is
not root: the clearing needs root), and the caller reads /logs back with ``get_archive``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sandbox.environment import KILL_AFTER_SEC, Environment, ExecResult, InfraError
from sandbox.helper import EXIT_MARK, NOT_CLEARED, NOT_PLACED, Bundle, bundle, helper_bytes, verifier_command
from sandbox.images import ImageInfo
from sandbox.task import Task
from sandbox.task_config import Healthcheck

ROOT_NAMES = {"", "root", "0", "0:0", "root:root"}
HOST_GRACE_SEC = 15.0
"""How long the host waits beyond test.sh's own timeout (enforced by the helper) before giving up."""
PREP_TIMEOUT_SEC = 120.0


@dataclass(frozen=True)
class VerifyOutcome:
    result: ExecResult
    timed_out: bool
    test_exit_code: int | None = None
    """test.sh's exit code (ignored for the reward, as in Harbor; recorded for diagnosis)."""
    failed: str | None = None
    """Why test.sh could not be run on a clean /tests and /logs/verifier. Only the
    container's own processes (the agent's) can cause that, so it is a verifier error,
    never infra, and nothing found in /logs/verifier is read as a reward."""
    failed_kind: str | None = None


def runs_as_root(user: str | int | None, image: ImageInfo) -> bool:
    effective = image.user if user is None else str(user)
    return effective in ROOT_NAMES


def prepare(task: Task) -> Bundle:
    """This verification's upload: the helper and tests/ under a fresh random folder."""
    return bundle(task.tests_dir, helper_bytes())


async def verify(env: Environment, task: Task, image: ImageInfo, workdir: str | None,
                 pack: Bundle | None = None, uploaded: bool = False) -> VerifyOutcome:
    """Upload tests/ only now (the agent never saw them), clear /tests and /logs/verifier
    entirely (nothing the agent planted there survives), run test.sh as the verifier user
    in the workdir with its env and timeout. Its exit code is ignored for the reward.

    ``pack``/``uploaded``: the bundle from ``prepare``, when the caller already put it in place.
    """
    cfg = task.config.verifier
    pack = pack or prepare(task)
    if not uploaded:
        await env.put_archive(pack.tar, "/")
    command = verifier_command(task.tests_dir)
    bound = cfg.timeout_sec + KILL_AFTER_SEC + HOST_GRACE_SEC
    if runs_as_root(cfg.user, image):
        result = await env.exec_argv(pack.argv("both", cfg.timeout_sec, command), timeout=bound, user="0",
                                     env=task.verifier_env, cwd=workdir)
    else:
        prep = await env.exec_argv(pack.argv("prep", cfg.timeout_sec, command), timeout=PREP_TIMEOUT_SEC,
                                   user="0", cwd="/")
        if not prep.ok:
            return _failure(prep)
        result = await env.exec_argv(pack.argv("run", cfg.timeout_sec, command), timeout=bound, user=cfg.user,
                                     env=task.verifier_env, cwd=workdir)
    if result.timed_out:
        return VerifyOutcome(result, True)
    if result.exit_code != 0:
        return _failure(result)
    code = _test_exit_code(result.stdout)
    timed_out = code in (124, 137, 143) and result.duration_s >= cfg.timeout_sec * 0.98
    return VerifyOutcome(result, timed_out, code)


def _test_exit_code(stdout: str) -> int | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith(EXIT_MARK):
            try:
                return int(line[len(EXIT_MARK):])
            except ValueError:
                return None
    return None


def _failure(result: ExecResult) -> VerifyOutcome:
    detail = f"exit {result.exit_code}: {(result.stderr or result.stdout)[-300:].strip()}"
    if result.timed_out:
        return VerifyOutcome(result, False, failed=f"clearing /tests and /logs/verifier hung ({detail})",
                             failed_kind="verifier_not_cleared")
    if result.exit_code == NOT_CLEARED:
        return VerifyOutcome(result, False, failed_kind="verifier_not_cleared", failed=(
            "could not empty /tests and /logs/verifier before the verifier (did the agent leave a "
            f"process writing there?): {detail}"))
    if result.exit_code == NOT_PLACED:
        return VerifyOutcome(result, False, failed_kind="verifier_not_cleared", failed=(
            f"could not move tests/ to /tests (did the agent leave a process writing there?): {detail}"))
    return VerifyOutcome(result, False, failed_kind="verifier_not_run", failed=(
        "the verification helper did not run (is the workdir gone, or did the agent leave a process "
        f"that removed the helper's files?): {detail}"))


async def healthcheck(env: Environment, check: Healthcheck, workdir: str | None) -> None:
    """Docker HEALTHCHECK semantics: healthy at the first success; after the start
    period, ``retries`` consecutive failures mean unhealthy. Runs before the agent, so
    the container is still the image's own.

    Raises:
        InfraError: kind "healthcheck" with the last probe's output.
    """
    started = time.monotonic()
    failures = 0
    last: ExecResult | None = None
    while True:
        last = await env.exec(check.command, timeout=check.timeout_sec, cwd=workdir)
        if last.ok:
            return
        in_grace = time.monotonic() - started < check.start_period_sec
        if not in_grace:
            failures += 1
            if failures >= check.retries:
                detail = (last.stdout + last.stderr)[-500:]
                raise InfraError(
                    f"healthcheck {check.command!r} failed {failures} times (exit {last.exit_code}): {detail}",
                    "healthcheck",
                )
        await asyncio.sleep(check.start_interval_sec if in_grace else check.interval_sec)

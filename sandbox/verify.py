"""The verifier phase and the readiness probe, inside a running container."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from dataclasses import dataclass

from sandbox.docker import DockerContainer, path_tar
from sandbox.environment import ExecResult, InfraError
from sandbox.images import ImageInfo
from sandbox.task import Task
from sandbox.task_config import Healthcheck

CLEAR_VERIFIER_DIR = "rm -rf /logs/verifier && mkdir -p /logs/verifier && chmod 777 /logs/verifier"
CLEAR_TESTS_DIR = "rm -rf /tests"
"""Before tests/ is uploaded: a file the agent planted in /tests (a ``json.py`` that a
Python verifier would import first) must not survive into verification."""
RUN_TESTS = "(/tests/test.sh) > /logs/verifier/test-stdout.txt 2>&1"
ROOT_NAMES = {"", "root", "0", "0:0", "root:root"}
INLINE_MAX_TAR_BYTES = 64 * 1024
"""Tests up to this size travel base64-encoded inside the command (one argument may be
128 KiB), saving an archive upload and download per trial."""
INLINE_UNSUPPORTED = 199
"""Exit code of the one-shot command when the image lacks tar or base64."""
NOT_CLEARED = 198
"""Exit code of the one-shot command when /tests or /logs/verifier could not be emptied."""
DUMP_LOGS = "tar -C / -cf - logs 2>/dev/null | base64"


@dataclass(frozen=True)
class VerifyOutcome:
    result: ExecResult
    timed_out: bool
    logs_tar: bytes | None = None
    """/logs as a tar, when the one-shot path brought it back; else download it."""
    not_cleared: str | None = None
    """Why /tests or /logs/verifier could not be emptied. Only the container's own
    processes (the agent's) can cause that, so it is a verifier error, never infra,
    and nothing found in /logs/verifier is read as a reward."""


_no_inline_images: set[str] = set()


def runs_as_root(user: str | int | None, image: ImageInfo) -> bool:
    effective = image.user if user is None else str(user)
    return effective in ROOT_NAMES


async def verify(container: DockerContainer, task: Task, image: ImageInfo, workdir: str | None) -> VerifyOutcome:
    """Upload tests/ only now (the agent never saw them), clear /logs/verifier, run test.sh.

    /tests and /logs/verifier are emptied entirely first, so nothing the agent planted
    there survives into verification. The exit code of test.sh is ignored, as in Harbor.
    """
    cfg = task.config.verifier
    if runs_as_root(cfg.user, image) and image.tag not in _no_inline_images:
        outcome = await _one_shot(container, task, workdir)
        if outcome is not None:
            return outcome
        _no_inline_images.add(image.tag)
    cleared = await container.exec(f"{CLEAR_TESTS_DIR} && {CLEAR_VERIFIER_DIR}", timeout=60, user="0")
    if cleared.exit_code == -1 and cleared.timed_out:
        raise InfraError(f"task {task.id}: clearing /tests and /logs/verifier hung: {cleared.stderr}")
    if not cleared.ok:
        return VerifyOutcome(cleared, False, not_cleared=_not_cleared(cleared))
    await container.upload(task.tests_dir, "/tests", executable=True)
    result = await container.exec(RUN_TESTS, timeout=cfg.timeout_sec, user=cfg.user,
                                  env=task.verifier_env, cwd=workdir)
    return VerifyOutcome(result, result.timed_out)


async def _one_shot(container: DockerContainer, task: Task, workdir: str | None) -> VerifyOutcome | None:
    """Upload tests, clear /logs/verifier, run test.sh and bring /logs back, in one exec.

    Returns None when this image cannot do it (no tar/base64) or the tests are large;
    the caller then takes the archive-API path.
    """
    tests_tar = path_tar(task.tests_dir, "/tests", executable=True)
    if len(tests_tar) > INLINE_MAX_TAR_BYTES:
        return None
    payload = base64.b64encode(tests_tar).decode()
    cmd = (
        f"command -v tar >/dev/null && command -v base64 >/dev/null || exit {INLINE_UNSUPPORTED}; "
        f"{CLEAR_TESTS_DIR} && {CLEAR_VERIFIER_DIR} || exit {NOT_CLEARED}; "
        f"printf %s {payload} | base64 -d | tar -xf - -C / || exit {INLINE_UNSUPPORTED}; "
        f"{RUN_TESTS}; {DUMP_LOGS}"
    )
    cfg = task.config.verifier
    result = await container.exec(cmd, timeout=cfg.timeout_sec, user=cfg.user, env=task.verifier_env, cwd=workdir)
    if result.exit_code == INLINE_UNSUPPORTED and not result.timed_out:
        return None
    if result.exit_code == NOT_CLEARED and not result.timed_out:
        return VerifyOutcome(result, False, not_cleared=_not_cleared(result))
    logs_tar = None
    if result.ok and not result.truncated:
        try:
            logs_tar = base64.b64decode(result.stdout)
        except (binascii.Error, ValueError):
            logs_tar = None
    return VerifyOutcome(result, result.timed_out, logs_tar)


def _not_cleared(result: ExecResult) -> str:
    return ("could not empty /tests and /logs/verifier before the verifier (did the agent leave a "
            f"process writing there, or replace /logs?): exit {result.exit_code}: {result.stderr[-300:].strip()}")


async def healthcheck(container: DockerContainer, check: Healthcheck, workdir: str | None) -> None:
    """Docker HEALTHCHECK semantics: healthy at the first success; after the start
    period, ``retries`` consecutive failures mean unhealthy.

    Raises:
        InfraError: kind "healthcheck" with the last probe's output.
    """
    started = time.monotonic()
    failures = 0
    last: ExecResult | None = None
    while True:
        last = await container.exec(check.command, timeout=check.timeout_sec, cwd=workdir)
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

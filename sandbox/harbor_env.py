"""One of Harbor's environments behind our ``Environment`` protocol.

Everything goes through the provider's ``exec`` (the one primitive every Harbor
environment has, local or cloud), so a trial behaves the same on each of them:

- stdout and stderr come back apart even where the provider merges them (Harbor's
  Docker environment does): the command runs between two random markers with its
  stderr in a file, sent back base64-encoded after the second marker;
- the timeout is enforced inside the sandbox (``timeout -k``) and bounded again on
  the host, as in ``DockerContainer``; agent commands are bounded per trial
  (``execs_at_once``), so one trial's flood cannot start host processes without end;
- files travel as tars made by ``sandbox.archive`` (readable by every user) and come
  back through ``sandbox.extract``, which writes no link and follows none, within caps;
  payloads too large for one command line go through the provider's own file transfer,
  itself capped (``LARGE_MAX_BYTES``).

What this cannot give (said in the README): our Docker backend moves files with
Docker's archive API and runs the verifier's helper without any shell or program of
the container; a provider's exec always starts the sandbox's own shell (Harbor's
Docker environment: ``bash -c``, found on the container's PATH), and archives are
packed and unpacked by the sandbox's tar. On a Harbor engine the verification helper
still runs by absolute path, but started by the sandbox's bash, and its files arrive
through the sandbox's tar and base64: the verifier trusts those, as Harbor's own
verifier does. It offers no tamper audit (no ``changes``: a provider has no diff of
its sandbox against the image), so trials report the audit as unavailable.

Imports nothing of Harbor: it only calls the methods of the object it wraps.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import secrets
import shlex
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from sandbox.archive_files import ArchiveFiles
from sandbox.docker_host import EXECS_PER_TRIAL
from sandbox.environment import KILL_AFTER_SEC, ExecResult, InfraError, bash_argv

HOST_GRACE_SEC = 30.0
"""Extra time the host waits beyond the in-sandbox timeout (a cloud provider's round trip)."""
OUTPUT_LIMIT_CHARS = 8 * 1024 * 1024
INLINE_MAX_BYTES = 64 * 1024
"""Tars up to this size travel inside the command (base64 in one argument, which may be 128 KiB)."""
DOWNLOAD_INLINE_MAX_BYTES = 16 * 1024 * 1024
"""Archives up to this size come back on stdout; larger ones through the provider's own copy."""
LARGE_MAX_BYTES = 1024 * 1024 * 1024
"""The most of one archive copied out through the provider (the agent may fill /logs without
end); a reader's own cap (``TrialConfig.logs_max_bytes``) is lower, and stops it earlier."""
ROOT = "root"
LIVENESS_TRIES = 3
LIVENESS_PAUSE_SEC = 2.0
T = TypeVar("T")


def _q(text: str) -> str:
    return shlex.quote(text)


class HarborEnvironment(ArchiveFiles):
    """A started Harbor environment; implements ``sandbox.environment.Environment``.

    Args:
        env: A started ``harbor.environments.base.BaseEnvironment``.
        label: How errors name it, e.g. "harbor:docker task-x".
        stop: What ``remove`` calls (the backend's stop), so a trial tears it down as it
            tears down a container.
    """

    def __init__(self, env: Any, label: str, stop: Callable[[HarborEnvironment], Awaitable[None]] | None = None,
                 execs_at_once: int = EXECS_PER_TRIAL):
        self.env = env
        self.label = label
        self._stop = stop
        self._removed = False
        self.execs_at_once = execs_at_once
        """Agent commands running at once; more wait in this trial's own queue."""
        self._exec_slots = asyncio.Semaphore(execs_at_once)

    async def remove(self) -> None:
        """Stop and delete it through the backend; safe to call twice."""
        if self._removed or self._stop is None:
            return
        self._removed = True
        await self._stop(self)

    async def _raw(self, command: str, *, timeout_sec: float | None, user: str | int | None = None,
                   env: dict[str, str] | None = None, cwd: str | None = None):
        """The provider's exec, bounded on the host.

        Raises:
            TimeoutError: the bound passed (whatever the provider raised then: each has its own).
            InfraError: the provider failed before that.
        """
        bound = None if timeout_sec is None else math.ceil(timeout_sec)
        started = time.monotonic()
        try:
            return await self.env.exec(command, cwd=cwd, env=env or None, timeout_sec=bound, user=user)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if bound is not None and time.monotonic() - started >= bound:
                raise TimeoutError(f"{self.label}: no answer within {bound}s") from exc
            raise InfraError(f"{self.label}: exec failed: {type(exc).__name__}: {exc}", "harbor") from exc

    async def exec(self, cmd: str, *, timeout: float | None = None, user: str | int | None = None,
                   env: dict[str, str] | None = None, cwd: str | None = None) -> ExecResult:
        token = secrets.token_hex(8)
        start, end = f"@@climb-out-{token}@@", f"@@climb-err-{token}@@"
        argv = bash_argv(cmd, timeout)
        # The braces put the shell's own "Killed" report about the command into its stderr too.
        framed = (f"f=$(mktemp 2>/dev/null) || f=/dev/null; printf %s {start}; {{ {shlex.join(argv)}; }} 2>\"$f\"; "
                  f"rc=$?; printf %s {end}; [ \"$f\" = /dev/null ] || {{ base64 -w0 \"$f\"; rm -f \"$f\"; }}; "
                  "exit $rc")
        host_bound = None if timeout is None else timeout + KILL_AFTER_SEC + HOST_GRACE_SEC
        async with self._exec_slots:
            started = time.monotonic()
            try:
                raw = await self._raw(framed, timeout_sec=host_bound, user=user, env=env, cwd=cwd)
            except TimeoutError:
                return ExecResult(-1, "", "host-side timeout", True, time.monotonic() - started)
        duration = time.monotonic() - started
        out = (raw.stdout or "") + (raw.stderr or "")
        head, found, rest = out.partition(start)
        if not found:
            raise InfraError(f"{self.label}: the command did not start (exit {raw.return_code}): "
                             f"{out.strip()[-500:]}", "harbor")
        body, found_end, tail = rest.rpartition(end)
        if not found_end:  # the framing was cut off (killed from outside): all we have is stdout
            body, tail = rest, ""
        try:
            stderr = base64.b64decode(tail.strip()).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            stderr = tail
        stderr = head.strip() + ("\n" if head.strip() else "") + stderr  # provider noise before the frame
        code = raw.return_code
        timed_out = timeout is not None and code in (124, 137) and duration >= timeout * 0.98
        truncated = len(body) > OUTPUT_LIMIT_CHARS or len(stderr) > OUTPUT_LIMIT_CHARS
        return ExecResult(code, body[:OUTPUT_LIMIT_CHARS], stderr[:OUTPUT_LIMIT_CHARS], timed_out, duration,
                          truncated)

    async def _root(self, command: str, what: str, timeout: float = 300) -> ExecResult:
        result = await self.exec(command, timeout=timeout, user=ROOT)
        if not result.ok:
            raise InfraError(f"{self.label}: {what}: exit {result.exit_code}: "
                             f"{(result.stderr or result.stdout).strip()[-400:]}", "harbor")
        return result

    async def make_log_dirs(self) -> None:
        """/logs/{agent,verifier,artifacts}, writable by every user, as Harbor's contract has it."""
        dirs = "/logs/agent /logs/verifier /logs/artifacts"
        await self._root(f"mkdir -p {dirs} && chmod 777 {dirs}", "make /logs")

    async def exec_argv(self, argv: list[str], *, timeout: float | None = None, user: str | int | None = None,
                        env: dict[str, str] | None = None, cwd: str | None = None) -> ExecResult:
        """Run argv (argv[0] an absolute path). The provider's exec starts the sandbox's shell,
        which ``exec`` replaces with argv at once; the timeout is the host's bound only."""
        if not argv or not argv[0].startswith("/"):
            raise ValueError("exec_argv needs an absolute program path")
        started = time.monotonic()
        try:
            raw = await self._raw("exec " + shlex.join(argv), timeout_sec=timeout, user=user, env=env, cwd=cwd)
        except TimeoutError:
            return ExecResult(-1, "", "host-side timeout", True, time.monotonic() - started)
        return ExecResult(raw.return_code, raw.stdout or "", raw.stderr or "", False, time.monotonic() - started)

    async def running(self) -> bool:
        """Whether commands still start in it (the agent, root inside, can end its main process).

        A provider's exec also fails for a moment under load (a busy daemon, a dropped
        connection), and "stopped" makes the trial a scored verifier error: so only a
        sandbox that refuses every one of ``LIVENESS_TRIES`` probes is called stopped."""
        for attempt in range(LIVENESS_TRIES):
            if attempt:
                await asyncio.sleep(LIVENESS_PAUSE_SEC)
            try:
                if (await self.exec("true", timeout=60)).ok:
                    return True
            except InfraError:
                continue
        return False

    async def put_archive(self, data: bytes, dest: str = "/") -> None:
        """Extract a tar at the absolute folder dest, as root."""
        what = f"extract an archive at {dest}"
        if len(data) <= INLINE_MAX_BYTES:
            payload = base64.b64encode(data).decode()
            await self._root(f"printf %s {payload} | base64 -d | tar -xf - -C {_q(dest)}", what)
            return
        remote = f"/tmp/.climb-up-{secrets.token_hex(6)}.tar"
        with tempfile.TemporaryDirectory(prefix="climb-harbor-") as tmp:
            local = Path(tmp) / "up.tar"
            local.write_bytes(data)
            try:
                await self.env.upload_file(str(local), remote)
            except Exception as exc:
                raise InfraError(f"{self.label}: {what}: upload failed: {exc}", "harbor") from exc
        await self._root(f"tar -xf {remote} -C {_q(dest)}; rc=$?; rm -f {remote}; exit $rc", what)

    async def get_archive(self, path: str, consume: Callable[[Iterable[bytes]], T]) -> T:
        """Stream path (file or folder) out as a tar into ``consume`` (run in a worker thread).

        Raises:
            FileNotFoundError: path does not exist in the sandbox.
        """
        where = PurePosixPath(path)
        parent, name = _q(str(where.parent)), _q(where.name or ".")
        result = await self.exec(f"test -e {_q(path)} || test -L {_q(path)} || exit 3; "
                                 f"tar -C {parent} -cf - {name} | head -c {DOWNLOAD_INLINE_MAX_BYTES + 1} | base64 -w0",
                                 timeout=600, user=ROOT)
        if result.exit_code == 3 and not result.timed_out:
            raise FileNotFoundError(f"{path} does not exist in the sandbox")
        if not result.ok:
            raise InfraError(f"{self.label}: archive {path}: {result.stderr.strip()[-300:]}", "harbor")
        data = base64.b64decode(result.stdout)
        if len(data) <= DOWNLOAD_INLINE_MAX_BYTES:
            return await asyncio.to_thread(consume, iter([data]))
        return await self._get_large(path, consume)

    async def _get_large(self, path: str, consume: Callable[[Iterable[bytes]], T]) -> T:
        """Through the provider's own file transfer: a tar made in the sandbox, copied out."""
        where = PurePosixPath(path)
        remote = f"/tmp/.climb-down-{secrets.token_hex(6)}.tar"
        await self._root(f"tar -C {_q(str(where.parent))} -cf - {_q(where.name)} | head -c {LARGE_MAX_BYTES} "
                         f"> {remote}", f"archive {path}")
        try:
            with tempfile.TemporaryDirectory(prefix="climb-harbor-") as tmp:
                local = Path(tmp) / "down.tar"
                try:
                    await self.env.download_file(remote, str(local))
                except Exception as exc:
                    raise InfraError(f"{self.label}: archive {path}: {exc}", "harbor") from exc

                def read() -> T:
                    with local.open("rb") as fh:
                        return consume(iter(lambda: fh.read(1024 * 1024), b""))

                return await asyncio.to_thread(read)
        finally:
            await self.exec(f"rm -f {remote}", timeout=60, user=ROOT)

    async def _blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)

    async def read_file(self, path: str, max_bytes: int = 10_000_000) -> bytes:
        result = await self.exec(f"test -f {_q(path)} || exit 3; head -c {max_bytes + 1} -- {_q(path)} | base64 -w0",
                                 timeout=120, user=ROOT)
        if result.exit_code == 3:
            raise FileNotFoundError(f"{path} is not a regular file")
        if not result.ok:
            raise InfraError(f"{self.label}: read {path}: {result.stderr.strip()[-300:]}", "harbor")
        data = base64.b64decode(result.stdout)
        if len(data) > max_bytes:
            raise InfraError(f"{path} is larger than {max_bytes} bytes", "file")
        return data

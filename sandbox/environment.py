"""The environment protocol: what an agent and a verifier can do to a sandbox.

The verifier's machinery uses only the calls that run nothing the agent could have
replaced: ``put_archive`` / ``get_archive`` (files in and out, nothing runs in the
sandbox) and ``exec_argv`` (an absolute program path, no shell, no ``PATH`` lookup).
``exec`` (``bash -c``) is for agents. Auditing the agent's changes is an optional
capability (``Auditable``); a backend without it has its audit reported as unavailable.
So is a read-only door for the verifier's files (``sandbox.stage.Staged``); without it they
are uploaded.
"""

from __future__ import annotations

import errno
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


class InfraError(Exception):
    """Docker, the image build, or the host failed: not the agent's fault, never a score.

    Attributes:
        kind: short machine-readable cause ("docker", "build", "image", "healthcheck", ...).
        retryable: whether running the trial again could help. Set where the error is
            raised: a build that failed twice, a missing jail, bad credentials or a
            resource request the machine cannot meet stay as they are on a retry.
    """

    def __init__(self, message: str, kind: str = "docker", *, retryable: bool = True):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable


INTERNAL_KIND = "internal"
"""The kind of an infra error that is a bug of our own machinery (or a Docker error not mapped
yet): never retried, and a climb stops at once on it."""
DISK_FULL_KIND = "disk_full"
"""The kind of an infra error from a full disk (or quota) on this host: never retried."""
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
"""No space left on the device, or the user's quota is used up: freeing space is the cure."""


def unexpected(exc: Exception) -> InfraError:
    """An exception nothing mapped, as the infra error it is: a full disk on this host (trial
    folders are written here), else a bug of ours or a Docker error not mapped yet, with its
    traceback (whoever reads the result must be able to fix it). Neither is retried."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return InfraError(f"the host's disk is full: {exc}", DISK_FULL_KIND, retryable=False)
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)).strip()
    return InfraError(trace, INTERNAL_KIND, retryable=False)


KILL_AFTER_SEC = 5
"""``timeout -k``: SIGKILL this long after SIGTERM if a command ignores it (agents' commands
and the verifier's test.sh alike)."""


def bash_argv(cmd: str, timeout: float | None) -> list[str]:
    """``bash -c cmd`` as ``Environment.exec`` runs it: under the sandbox's own ``timeout``
    when one is given."""
    argv = ["bash", "-c", cmd]
    if timeout is None:
        return argv
    return ["timeout", "-k", f"{KILL_AFTER_SEC}s", f"{max(timeout, 0.01):.2f}s", *argv]


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one command. A non-zero exit is data, not an exception."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    duration_s: float = 0.0
    truncated: bool = False
    """True when output beyond the capture limit was dropped."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class ChangeKind(str, Enum):
    """How a path differs from the image."""

    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


@dataclass(frozen=True)
class FileChange:
    """One path of the sandbox's filesystem that differs from its image."""

    path: str
    kind: ChangeKind
    is_dir: bool | None = None
    """True/False when the backend knows; None when it does not (Docker's diff API)."""


@dataclass(frozen=True)
class PathStat:
    """What the archive API says about a path, without running anything in the sandbox."""

    name: str
    size: int
    mode: int
    """Go's os.FileMode bits as Docker reports them (directory: bit 31, symlink: bit 27)."""
    link_target: str = ""


class Environment(Protocol):
    """A running sandbox: one trial's container."""

    async def exec(
        self,
        cmd: str,
        *,
        timeout: float | None = None,
        user: str | int | None = None,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> ExecResult:
        """Run ``bash -c cmd``; the timeout is enforced inside the sandbox and bounded outside.

        This runs the sandbox's own bash and timeout: for agents, never for the verifier."""
        ...

    async def exec_argv(
        self,
        argv: list[str],
        *,
        timeout: float | None = None,
        user: str | int | None = None,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> ExecResult:
        """Run argv directly: argv[0] is an absolute path, no shell, no PATH lookup.

        The timeout is the host's bound only (a program that must stop earlier enforces
        that itself); on expiry the result is ``timed_out`` with exit code -1."""
        ...

    async def put_archive(self, data: bytes, dest: str = "/") -> None:
        """Extract a tar at the absolute folder dest, running nothing in the sandbox."""
        ...

    async def get_archive(self, path: str, consume: Callable[[Iterable[bytes]], T]) -> T:
        """Stream path (file or folder) out as a tar into ``consume`` (called in a worker
        thread, which may stop reading early), running nothing in the sandbox.

        Raises:
            FileNotFoundError: path does not exist in the sandbox.
        """
        ...

    async def upload(self, src: Path, dest: str, executable: bool = False) -> None:
        """Copy a host file or directory to ``dest`` (an absolute path in the sandbox),
        readable by every user; ``executable`` marks every file executable too."""
        ...

    async def write_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Create or replace one file in the sandbox."""
        ...

    async def read_file(self, path: str, max_bytes: int = 10_000_000) -> bytes:
        """Read one regular file from the sandbox."""
        ...

    async def running(self) -> bool:
        """Whether the sandbox's main process is still alive (the agent, root inside, can end it)."""
        ...


@runtime_checkable
class Auditable(Protocol):
    """Optional: what a backend offers for the tamper audit (``sandbox.audit``)."""

    async def changes(self) -> list[FileChange]:
        """Every path that differs from the image (added, modified, deleted)."""
        ...

    async def stat(self, path: str) -> PathStat | None:
        """The path's metadata (its last component not followed), or None when absent."""
        ...

    async def processes(self) -> list[str]:
        """Command lines of the processes running in the sandbox (not its init or main process)."""
        ...

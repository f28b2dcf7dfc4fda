"""One running jail: start it, hold its writable places open, watch them, end it, copy its logs out.

The writable places are tmpfs mounts inside the jail's own mount namespace. Once the
runtime says it is up (before any agent code runs), the parent opens each of them
through ``/proc/<jail init>/root`` without following links and keeps the descriptors:
they keep the file systems alive after every jail process is gone, so the logs are
copied out after the jail is dead and can no longer change them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.environment import InfraError
from task_agent import jail
from task_agent.jail import JailConfig, JailPlan, JailUnavailable
from task_agent.jail_logs import copy_tree, snapshot_file

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
HELPER_SCRIPT = "echo ready; exec cat >/dev/null"
_COPIES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="climb-jail-logs")
"""Copies out of ended jails: not the default pool, which a trial's container commands may fill."""


@dataclass
class RunningJail:
    """A started agent process (jailed or not) and what the parent holds of it."""

    proc: asyncio.subprocess.Process
    config: JailConfig
    info_fd: int | None = None
    places: dict[str, int] = field(default_factory=dict)
    """Jail path of each writable place -> a descriptor of its folder, held by the parent."""
    pidfd: int | None = None
    _live: _LiveCopy = field(default_factory=lambda: _LiveCopy())

    @property
    def jailed(self) -> bool:
        return self.info_fd is not None or bool(self.places)

    def attach(self) -> None:
        """Open the writable places; called when the runtime says it is up, before agent.py runs."""
        if self.info_fd is None:
            return
        try:
            os.set_blocking(self.info_fd, False)  # bubblewrap wrote it long before the runtime said ready
            info = json.loads(os.read(self.info_fd, 65536) or b"{}")
        except (BlockingIOError, ValueError) as exc:
            raise InfraError(f"bubblewrap did not say which process is the jail's init: {exc}", "jail",
                             retryable=False) from exc
        finally:
            os.close(self.info_fd)
            self.info_fd = None
        init = int(info.get("child-pid") or 0)
        root = os.open(f"/proc/{init}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            if _parent_of(init) != self.proc.pid:  # the pid was reused: this is not our jail
                raise InfraError(f"the jail's init (pid {init}) is gone", "jail")
            self.pidfd = os.pidfd_open(init)
            for place in self.config.places():
                self.places[place] = _open_beneath(root, place)
        finally:
            os.close(root)

    def over_limit(self) -> str | None:
        """Why the agent must be stopped (too many files in a place), or None."""
        for place, fd in self.places.items():
            usage = os.fstatvfs(fd)
            files = usage.f_files - usage.f_ffree
            if files > self.config.max_files:
                return (f"agent.py created {files} files and folders in {place}; the jail allows "
                        f"{self.config.max_files} (max_files)")
        return None

    def kill(self) -> None:
        """SIGKILL the jail's init (its pid namespace goes with it) and the bubblewrap process."""
        if self.pidfd is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    async def copy_logs(self, dest: Path) -> list[str]:
        """After the jail is dead: its /logs/agent into the trial's agent/ folder; notes on what was left out."""
        fd = self.places.get(jail.JAIL_LOGS)
        if fd is None:
            return []
        # the thread gets its own descriptor: closing the jail's (say, on a second cancellation)
        # must never let that number be reused under a copy still reading from it
        copy = functools.partial(self._live.end_then_copy, os.dup(fd), dest, max_entries=self.config.max_files,
                                 max_bytes=self.config.logs_mb * 1024 * 1024)
        return await asyncio.get_running_loop().run_in_executor(_COPIES, copy)

    async def snapshot_trajectory(self, dest: Path) -> None:
        """While the jail runs: its trajectory.json copied over ``dest`` when it changed (see
        jail_logs.snapshot_file); `climb spot` streams the turns from it."""
        fd = self.places.get(jail.JAIL_LOGS)
        if fd is not None:
            copy = functools.partial(self._live.update, os.dup(fd), dest, self.config.logs_mb * 1024 * 1024)
            await asyncio.get_running_loop().run_in_executor(_COPIES, copy)

    def close(self) -> None:
        for fd in [*self.places.values(), *([self.pidfd] if self.pidfd is not None else []),
                   *([self.info_fd] if self.info_fd is not None else [])]:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.places, self.pidfd, self.info_fd = {}, None, None


class _LiveCopy:
    """The running copy of the trajectory, and its end: once the jail's log folder is copied for
    good, a live copy still in flight must neither land after it nor stand in for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ended = False
        self.written: Path | None = None
        self.last: tuple[int, int] | None = None

    def update(self, fd: int, dest: Path, max_bytes: int) -> None:
        try:
            with self.lock:
                if not self.ended:
                    self.last = snapshot_file(fd, "trajectory.json", dest, max_bytes, self.last)
                    self.written = dest if self.last is not None else self.written
        finally:
            os.close(fd)

    def end_then_copy(self, fd: int, dest: Path, *, max_entries: int, max_bytes: int) -> list[str]:
        try:
            with self.lock:
                self.ended = True
                if self.written is not None:  # ours, not the agent's: the final copy replaces it
                    self.written.unlink(missing_ok=True)
            return copy_tree(fd, dest, max_entries=max_entries, max_bytes=max_bytes)
        finally:
            os.close(fd)


def _parent_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return int(stat_file.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _open_beneath(root: int, place: str) -> int:
    """The folder at place under root, each component opened without following links."""
    fd = os.open(".", _DIR, dir_fd=root)
    for part in place.strip("/").split("/"):
        try:
            nxt = os.open(part, _DIR, dir_fd=fd)
        finally:
            os.close(fd)
        fd = nxt
    if os.fstat(fd).st_dev == os.fstat(root).st_dev:
        os.close(fd)
        raise InfraError(f"the jail's {place} is not a mount of its own", "jail", retryable=False)
    return fd


async def launch(config: JailConfig, agent_source: bytes, agent_file: Path, logs_dir: Path,
                 channel_fds: tuple[int, int], stdout, stderr) -> tuple[RunningJail, str]:
    """Start the runtime on agent_source; returns the jail and where it writes its trajectory.

    Raises:
        JailUnavailable: bubblewrap (or, as root, ``unshare``) is missing or unusable here.
    """
    read_fd, write_fd = channel_fds
    common = dict(stdin=asyncio.subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True, cwd="/")
    if config.kind == "none":
        argv, env = jail.unjailed_command(config, agent_file, logs_dir, read_fd, write_fd)
        proc = await asyncio.create_subprocess_exec(*argv, pass_fds=channel_fds, env=env, **common)
        return RunningJail(proc, config), str(logs_dir / "trajectory.json")
    bwrap = jail.find_bwrap()
    the_plan = jail.plan(config, read_fd, write_fd)
    opened: list[int] = []
    try:
        fds = await _plan_fds(the_plan, agent_source, opened)
        info_read, info_write = os.pipe2(os.O_CLOEXEC)
        opened += [info_read, info_write]
        fds["{info}"] = info_write
        options = [fds.get(arg, arg) for arg in the_plan.options]
        args_fd = _memfd("climb-jail-args", b"".join(str(o).encode() + b"\0" for o in options))
        opened.append(args_fd)
        pass_fds = (*channel_fds, args_fd, *fds.values())
        # bubblewrap itself gets no environment: the jail's is set inside (--setenv)
        proc = await asyncio.create_subprocess_exec(
            bwrap, "--args", str(args_fd), "--", *the_plan.command, pass_fds=pass_fds, env={},
            extra_groups=[] if the_plan.as_root else None, **common)
    except BaseException:
        for fd in opened:
            with contextlib.suppress(OSError):
                os.close(fd)
        raise
    for fd in opened:
        if fd != info_read:
            os.close(fd)
    return RunningJail(proc, config, info_fd=info_read), the_plan.trajectory_path


async def _plan_fds(the_plan: JailPlan, agent_source: bytes, opened: list[int]) -> dict[str, int]:
    """Descriptors for the plan's placeholders; each is appended to opened as it is made."""
    fds: dict[str, int] = {}
    root = jail.source_root()
    for placeholder, what in the_plan.data_fds.items():
        fd = _memfd("agent.py", agent_source) if what == "agent" else os.open(root / what, os.O_RDONLY | os.O_CLOEXEC)
        opened.append(fd)
        fds[placeholder] = fd
    if the_plan.as_root:
        fd = await user_namespace()
        opened.append(fd)
        fds["{userns}"] = fd
    return fds


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


async def user_namespace() -> int:
    """A new user namespace mapping uid and gid 0 and 65534 to themselves (root only).

    bubblewrap sets the jail up in it as uid 0 (so it can read a Python installation under
    /root), and the runtime then drops to 65534 for good: the jail's processes are host uid
    65534, which RLIMIT_NPROC counts per namespace (root's own processes are never counted).
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        raise JailUnavailable("the jail needs util-linux's unshare when the climb runs as root")
    helper = await asyncio.create_subprocess_exec(
        unshare, "--user", "--", "/bin/sh", "-c", HELPER_SCRIPT, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={}, start_new_session=True)
    try:
        assert helper.stdout is not None
        line = await asyncio.wait_for(helper.stdout.readline(), 30)
        if line != b"ready\n":
            raise JailUnavailable(f"cannot create a user namespace: {await _tail(helper)}")
        proc_dir = f"/proc/{helper.pid}"
        if os.stat(f"{proc_dir}/ns/user").st_ino == os.stat("/proc/self/ns/user").st_ino:
            raise JailUnavailable("unshare --user did not create a user namespace")
        mapping = f"0 0 1\n{jail.AGENT_UID} {jail.AGENT_UID} 1\n"
        for name, text in (("setgroups", "deny\n"), ("uid_map", mapping), ("gid_map", mapping)):
            with open(f"{proc_dir}/{name}", "w") as map_file:
                map_file.write(text)
        return os.open(f"{proc_dir}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        with contextlib.suppress(ProcessLookupError):
            if helper.stdin is not None:
                helper.stdin.close()
            helper.kill()
        await helper.wait()


async def _tail(helper: asyncio.subprocess.Process) -> str:
    helper.kill()
    assert helper.stderr is not None
    return (await helper.stderr.read()).decode(errors="replace")[-500:].strip() or "(no output)"

"""Where agent.py runs: a bubblewrap jail on the host, and what it is allowed.

Inside, read-only: the system's ``/usr``, the Python installation (at ``/opt/python``
unless it lives under ``/usr``), our runtime files (copied in at ``/rt``) and agent.py
(copied in at ``/agent/agent.py``). Writable, each a size-capped tmpfs of its own:
``/logs/agent``, ``/tmp`` and ``/dev/shm``; the root and ``/dev`` are read-only. New
user, pid, network, ipc, uts and cgroup namespaces, no capabilities, no network, no
host environment, uid 65534, and it dies with its parent. No host path is named
anywhere the agent can read except the Python installation's own (see the README):
bubblewrap reads its options from a file descriptor, so its command line holds only
jail paths, and nothing of the host is bound except ``/usr`` and Python.

Run as root, the jail's processes are uid 65534 on the host too (a user namespace made
for the trial maps it), so the per-jail process limit holds and an escape lands as
nobody. ``jail_process.py`` starts it, watches it and copies its logs out.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RUNTIME_FILES = ("task_agent/__init__.py", "task_agent/runtime.py", "task_agent/boot.py", "task_agent/atif.py",
                 "models/__init__.py", "models/messages.py", "durable/__init__.py")
"""What the jail sees of our code, relative to the source root: the stdlib-only runtime, the
conversation types it shares with the parent (``models/__init__.py`` loads lazily) and the
atomic write the trajectory uses."""
JAIL_RUNTIME = "/rt"
JAIL_AGENT = "/agent/agent.py"
JAIL_LOGS = "/logs/agent"
JAIL_PYTHON = "/opt/python"
AGENT_UID = 65534
OPEN_FILES = 1024
"""Open file descriptors per process (RLIMIT_NOFILE)."""
BOOT = "import sys; sys.path.insert(0, {rt!r}); from task_agent.boot import main; main()"
NEEDED_FLAGS = ("--args", "--ro-bind-data", "--perms", "--size", "--info-fd", "--disable-userns", "--userns",
                "--remount-ro")
"""bubblewrap options the jail relies on (bubblewrap >= 0.8)."""


class JailConfig(BaseModel):
    """How the agent process is isolated and what it may use."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["bwrap", "none"] = "bwrap"
    """bwrap: the jail described above. none: a plain subprocess (no isolation;
    for machines without bubblewrap, e.g. macOS; say so loudly)."""
    memory_mb: int = Field(2048, gt=0)
    """Address-space cap of each agent process (RLIMIT_AS), set by the runtime before agent.py loads."""
    tmp_mb: int = Field(512, gt=0)
    """Size of the jail's /tmp (a tmpfs: host memory the address-space cap does not count)."""
    logs_mb: int = Field(256, gt=0)
    """Size of /logs/agent (a tmpfs copied into the trial's agent/ folder when the agent ends)."""
    shm_mb: int = Field(64, gt=0)
    """Size of /dev/shm (a tmpfs; POSIX shared memory and semaphores)."""
    max_processes: int = Field(128, gt=1)
    """Processes and threads of the jail together (RLIMIT_NPROC, counted per jail)."""
    max_files: int = Field(100_000, gt=0)
    """Files and folders in each writable place together; more ends the trial as agent_error
    (a tmpfs caps bytes, not files, so the parent counts them every half second)."""
    max_file_mb: int = Field(64, gt=0)
    """Largest file the agent may write (RLIMIT_FSIZE); bounds its stdout and stderr files on the host."""

    def places(self) -> dict[str, int]:
        """The writable places inside the jail and their sizes in MiB."""
        return {JAIL_LOGS: self.logs_mb, "/tmp": self.tmp_mb, "/dev/shm": self.shm_mb}


class JailUnavailable(Exception):
    """bubblewrap is missing, too old, or cannot create namespaces here."""


@dataclass(frozen=True)
class JailPlan:
    """How to start one jail: the options bubblewrap reads from a descriptor, and the command."""

    options: list[str]
    """bubblewrap's options, passed through --args (never on a command line the agent can read)."""
    command: list[str]
    """The runtime's command line inside the jail: jail paths only."""
    env: dict[str, str]
    data_fds: dict[str, str]
    """Placeholders in options -> what the descriptor carries ("agent", "args", a RUNTIME_FILES path)."""
    as_root: bool
    """Started by root: the jail gets a user namespace of its own mapping uid 65534 to host uid 65534."""
    trajectory_path: str


def python_prefix() -> Path:
    """The real installation prefix of this interpreter (not a venv)."""
    return Path(os.path.realpath(sys.base_prefix))


def python_binary() -> Path:
    return Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))


def source_root() -> Path:
    return Path(__file__).resolve().parent.parent


def jail_python() -> tuple[str, dict[str, str], list[str]]:
    """The interpreter's path inside the jail, the environment it needs there, and its bind options.

    Under /usr it is already visible at its own path. Elsewhere its installation is bound at
    JAIL_PYTHON, so its host path is not on any command line, and libpython is found through
    LD_LIBRARY_PATH (its RUNPATH names the host path, which does not exist inside).
    """
    prefix, binary = python_prefix(), python_binary()
    if prefix.is_relative_to("/usr") and binary.is_relative_to("/usr"):
        return str(binary), {}, []
    if not binary.is_relative_to(prefix):
        raise JailUnavailable(f"the interpreter {binary} is not inside its installation {prefix}; "
                              "run the climb with a regular Python installation")
    inside = f"{JAIL_PYTHON}/{binary.relative_to(prefix)}"
    env = {"LD_LIBRARY_PATH": f"{JAIL_PYTHON}/lib"} if (prefix / "lib").is_dir() else {}
    return inside, env, ["--ro-bind", str(prefix), JAIL_PYTHON]


def _root_links() -> list[str]:
    """Mirror /bin, /lib, /lib64, /sbin: symlinks on merged-/usr systems, binds otherwise."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


@functools.lru_cache(maxsize=4)
def missing_flags(bwrap: str) -> tuple[str, ...]:
    try:
        help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10,
                                   check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return NEEDED_FLAGS
    return tuple(flag for flag in NEEDED_FLAGS if flag not in help_text)


def find_bwrap() -> str:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise JailUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap, "
                              "or run with --jail none (no isolation)")
    missing = missing_flags(bwrap)
    if missing:
        raise JailUnavailable(f"{bwrap} lacks {', '.join(missing)}: the jail needs bubblewrap >= 0.8, "
                              "or run with --jail none (no isolation)")
    return bwrap


def limits_env(config: JailConfig, *, jailed: bool, as_root: bool) -> dict[str, str]:
    """The limits the runtime applies to itself before agent.py loads (it cannot raise them again)."""
    env = {"CLIMB_AGENT_MEMORY_MB": str(config.memory_mb), "CLIMB_AGENT_FILE_MB": str(config.max_file_mb),
           "CLIMB_AGENT_OPEN_FILES": str(OPEN_FILES)}
    if jailed:  # unjailed, RLIMIT_NPROC would count every process of the user, not the agent's
        env["CLIMB_AGENT_PROCESSES"] = str(config.max_processes)
    if as_root:
        env["CLIMB_AGENT_UID"] = str(AGENT_UID)
    return env


def plan(config: JailConfig, read_fd: int, write_fd: int) -> JailPlan:
    """The jail for one trial; descriptors are named by placeholders the launcher fills in."""
    as_root = os.geteuid() == 0
    python, python_env, python_bind = jail_python()
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           **python_env, **limits_env(config, jailed=True, as_root=as_root)}
    if as_root:  # uid 0 inside a namespace mapping only 0 and 65534; the runtime drops to 65534
        identity = ["--userns", "{userns}", "--uid", "0", "--gid", "0", "--cap-drop", "ALL",
                    "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        identity = ["--unshare-user", "--disable-userns", "--uid", str(AGENT_UID), "--gid", str(AGENT_UID),
                    "--cap-drop", "ALL"]
    options = [*identity, "--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    # bubblewrap makes the missing parents of a bind 0700: as root the agent's uid could not enter them
    for folder in _parents([JAIL_AGENT, JAIL_PYTHON, *(f"{JAIL_RUNTIME}/{name}" for name in RUNTIME_FILES)]):
        options += ["--perms", "0755", "--dir", folder]
    options += ["--ro-bind", "/usr", "/usr", *_root_links(), *python_bind, "--proc", "/proc", "--dev", "/dev"]
    for place, size_mb in config.places().items():
        options += ["--perms", "1777", "--size", str(size_mb * 1024 * 1024), "--tmpfs", place]
    data_fds = {"{agent}": "agent"}
    for index, name in enumerate(RUNTIME_FILES):
        data_fds[f"{{rt{index}}}"] = name
        options += ["--perms", "0444", "--ro-bind-data", f"{{rt{index}}}", f"{JAIL_RUNTIME}/{name}"]
    options += ["--perms", "0444", "--ro-bind-data", "{agent}", JAIL_AGENT, "--remount-ro", "/dev", "--remount-ro", "/",
                "--chdir", "/tmp", "--info-fd", "{info}"]
    for key, value in env.items():
        options += ["--setenv", key, value]
    command = [python, "-I", "-S", "-c", BOOT.format(rt=JAIL_RUNTIME), str(read_fd), str(write_fd), JAIL_AGENT]
    return JailPlan(options, command, env, data_fds, as_root, f"{JAIL_LOGS}/trajectory.json")


def _parents(paths: list[str]) -> list[str]:
    """Every folder above the given jail paths, outermost first."""
    folders = {str(parent) for path in paths for parent in PurePosixPath(path).parents if str(parent) != "/"}
    return sorted(folders, key=lambda folder: (folder.count("/"), folder))


def unjailed_command(config: JailConfig, agent_file: Path, logs_dir: Path, read_fd: int,
                     write_fd: int) -> tuple[list[str], dict[str, str]]:
    """--jail none: the runtime as a plain subprocess on the host files."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           **limits_env(config, jailed=False, as_root=False)}
    boot = BOOT.format(rt=str(source_root()))
    return [str(python_binary()), "-I", "-S", "-c", boot, str(read_fd), str(write_fd), str(agent_file)], env

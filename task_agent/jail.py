"""Where agent.py runs: a bubblewrap jail on the host.

Inside the jail the agent sees, read-only, the system's /usr, the Python
installation it runs on and the runtime modules; read-write, only its own
trial's agent log folder (as /logs/agent) and a private, size-capped /tmp. It
has its own user, pid, network, ipc and uts namespaces, no capabilities, no
network at all (model calls go through the parent), no environment variables
from the host (so no API keys), and it dies with its parent. It cannot see the
task's tests or solution, the Docker socket, other trials, or the user's files.

Not bounded here: CPU (until the trial's timeout), the number of processes,
memory summed over several processes (the cap is per process), and disk
written to its log folder.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

RUNTIME_FILES = ("task_agent/__init__.py", "task_agent/runtime.py", "task_agent/atif.py",
                 "models/__init__.py", "models/messages.py")
"""What the jail sees of our code, relative to the source root: the stdlib-only runtime and
the conversation types it shares with the parent (``models/__init__.py`` loads lazily)."""
JAIL_RUNTIME = "/rt"
JAIL_AGENT = "/agent/agent.py"
JAIL_LOGS = "/logs/agent"
BOOT = "import sys; sys.path.insert(0, {rt!r}); from task_agent.runtime import main; main()"


class JailConfig(BaseModel):
    """How the agent process is isolated."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["bwrap", "none"] = "bwrap"
    """bwrap: the jail described above. none: a plain subprocess (no isolation;
    for machines without bubblewrap, e.g. macOS; say so loudly)."""
    memory_mb: int = 2048
    """Address-space cap of the agent process (RLIMIT_AS), set by the runtime before agent.py loads."""
    tmp_mb: int = 512
    """Size of the jail's private /tmp (a tmpfs, so host memory the address-space cap does not
    count). Applied where bubblewrap supports ``--size``."""


class JailUnavailable(Exception):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class JailCommand:
    argv: list[str]
    trajectory_path: str
    """Where the agent writes its trajectory, as seen from inside."""
    env: dict[str, str]


def python_prefix() -> Path:
    """The real installation prefix of this interpreter (not a venv)."""
    return Path(os.path.realpath(sys.base_prefix))


def python_binary() -> str:
    exe = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    return str(exe)


def _source_root() -> Path:
    return Path(__file__).resolve().parent.parent


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
def _supports_tmpfs_size(bwrap: str) -> bool:
    try:
        help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10,
                                   check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "--size" in help_text


def build(config: JailConfig, agent_file: Path, logs_dir: Path, read_fd: int, write_fd: int) -> JailCommand:
    """The command that starts the runtime on agent_file, talking over the two fds."""
    python = python_binary()
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "CLIMB_AGENT_MEMORY_MB": str(config.memory_mb)}
    if config.kind == "none":
        boot = BOOT.format(rt=str(_source_root()))
        argv = [python, "-I", "-S", "-c", boot, str(read_fd), str(write_fd), str(agent_file)]
        return JailCommand(argv, str(logs_dir / "trajectory.json"), env)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise JailUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap, "
                              "or run with --jail none (no isolation)")
    argv = [
        bwrap, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
        "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv",
        "--ro-bind", "/usr", "/usr", *_root_links(),
        "--proc", "/proc", "--dev", "/dev",
    ]
    if _supports_tmpfs_size(bwrap):
        argv += ["--size", str(config.tmp_mb * 1024 * 1024)]
    argv += ["--tmpfs", "/tmp", "--chdir", "/tmp"]
    prefix = python_prefix()
    if not str(prefix).startswith("/usr/"):
        argv += ["--ro-bind", str(prefix), str(prefix)]
    for name in RUNTIME_FILES:
        argv += ["--ro-bind", str(_source_root() / name), f"{JAIL_RUNTIME}/{name}"]
    argv += ["--ro-bind", str(agent_file), JAIL_AGENT, "--bind", str(logs_dir), JAIL_LOGS]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += [python, "-I", "-S", "-c", BOOT.format(rt=JAIL_RUNTIME), str(read_fd), str(write_fd), JAIL_AGENT]
    return JailCommand(argv, f"{JAIL_LOGS}/trajectory.json", env)

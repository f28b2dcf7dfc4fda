"""How the jail starts: drop to the agent's uid, set the limits, load agent.py, hand it a
Context, report done. Stdlib-only (it runs inside the jail, before any agent code)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path

from task_agent.atif import Trajectory
from task_agent.runtime import Channel, Context, Environment, Model


def load_agent(path: Path):
    spec = importlib.util.spec_from_file_location("agent", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent"] = module
    spec.loader.exec_module(module)
    return module


async def _main(read_fd: int, write_fd: int, agent_path: Path) -> int:
    channel = Channel(read_fd, write_fd)
    start = await channel.open()
    status, error = "ok", None
    trajectory = None
    try:
        module = load_agent(agent_path)
        model_name = start.get("task_model") or getattr(module, "MODEL", "")
        trajectory = Trajectory(Path(start["trajectory_path"]), session_id=start["session_id"],
                                agent_name="harness-climb", agent_version=start.get("agent_version", ""),
                                model_name=model_name)
        ctx = Context(
            instruction=start["instruction"],
            env=Environment(channel),
            model=Model(channel, model_name, trajectory),
            trajectory=trajectory,
            deadline=time.monotonic() + float(start.get("timeout_sec") or 1e9),
            workdir=start.get("workdir"),
            skills_dir=start.get("skills_dir"),
        )
        await module.run(ctx)
    except BaseException as exc:  # everything the agent does wrong is reported, then we exit non-zero
        status = "error"
        error = "".join(traceback.format_exception(exc))[-4000:]
        print(error, file=sys.stderr)
    finally:
        if trajectory is not None:
            trajectory.finalize({"status": status})
    channel.send({"op": "done", "status": status, "error": error})
    await channel.flush()
    return 0 if status == "ok" else 1


def _become_agent_user() -> None:
    """Started by root in a namespace that maps only uid 0 and the agent's uid: drop to the
    agent's uid for good before anything of agent.py runs, or do not run it at all."""
    uid = int(os.environ.pop("CLIMB_AGENT_UID", "") or -1)
    if uid < 0:
        return
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    with open("/proc/self/status") as status:
        capabilities = [line.split()[1] for line in status if line.startswith(("CapPrm:", "CapEff:", "CapAmb:"))]
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid) or any(int(c, 16) for c in capabilities):
        print(f"climb runtime: could not drop to uid {uid}; agent.py was not run", file=sys.stderr)
        os._exit(97)


_LIMITS = (("CLIMB_AGENT_MEMORY_MB", "RLIMIT_AS", 1024 * 1024), ("CLIMB_AGENT_FILE_MB", "RLIMIT_FSIZE", 1024 * 1024),
           ("CLIMB_AGENT_PROCESSES", "RLIMIT_NPROC", 1), ("CLIMB_AGENT_OPEN_FILES", "RLIMIT_NOFILE", 1))


def _apply_limits() -> None:
    """Cap memory, file size, processes and open files before agent.py loads; its processes
    inherit the caps and, without capabilities, cannot raise them."""
    import resource

    for variable, name, unit in _LIMITS:
        value = int(os.environ.get(variable, "0") or 0)
        if value > 0:
            resource.setrlimit(getattr(resource, name), (value * unit, value * unit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main() -> None:
    read_fd, write_fd, agent_path = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    _become_agent_user()
    _apply_limits()
    sys.exit(asyncio.run(_main(read_fd, write_fd, agent_path)))

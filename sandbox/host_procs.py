"""A container's processes read from this host's /proc (same pid namespace as its init).

Docker's top API answers the same question by running ps on the daemon's host, a call
and a process per audit; reading /proc here costs a few milliseconds. Only command lines
and parent ids are read. When the daemon is remote (the init's pid is not ours to see),
callers fall back to the API.
"""

from __future__ import annotations

import os


class NotLocal(Exception):
    """The container's init is not a process of this host."""


def _pid_ns(pid: int | str) -> str:
    return os.readlink(f"/proc/{pid}/ns/pid")


def _row(pid: str) -> dict[str, str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode(errors="replace")
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read(4096)
    except OSError:
        return None  # it ended while we looked
    fields = stat.rsplit(")", 1)[1].split()
    # START (clock ticks since boot) orders processes where pids cannot: pids wrap around.
    return {"PID": pid, "PPID": fields[1], "START": fields[19],
            "CMD": cmdline.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")}


def processes(init_pid: int) -> list[dict[str, str]]:
    """Rows (PID, PPID, START, CMD) of every process in the namespace of init_pid, the init included.

    Raises:
        NotLocal: init_pid is not visible here, or is not the container's init.
    """
    try:
        namespace = _pid_ns(init_pid)
        if namespace == _pid_ns("self"):
            raise NotLocal("the container shares this process's pid namespace")
    except OSError as exc:
        raise NotLocal(str(exc)) from exc
    rows = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if _pid_ns(entry) != namespace:
                continue
        except OSError:
            continue
        row = _row(entry)
        if row is not None:
            rows.append(row)
    return rows

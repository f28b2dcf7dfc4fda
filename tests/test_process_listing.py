"""Which of a container's processes are strays (the audit's "still running after the agent"):
everything but docker's init and the main process, found by start time since pids wrap."""

from __future__ import annotations

import os

from sandbox import host_procs
from sandbox.docker_audit import _strays


def row(pid: int, ppid: int, start: int, cmd: str) -> dict[str, str]:
    return {"PID": str(pid), "PPID": str(ppid), "START": str(start), "CMD": cmd}


def test_a_stray_with_a_wrapped_lower_pid_is_not_taken_for_the_main_process():
    rows = [row(30000, 900, 100, "/sbin/docker-init -- sleep 14400"),
            row(30001, 30000, 101, "sleep 14400"),
            row(212, 30000, 5000, "sleep 777")]  # started later, after the pids wrapped
    assert _strays(rows) == ["sleep 777"]


def test_without_start_times_the_lowest_pid_is_the_main_process():
    rows = [{"PID": "10", "PPID": "1", "CMD": "init"}, {"PID": "11", "PPID": "10", "CMD": "sleep 14400"},
            {"PID": "50", "PPID": "10", "CMD": "sleep 777"}, {"PID": "60", "PPID": "2", "CMD": "sh -c x"}]
    assert _strays(rows) == ["sleep 777"]


def test_this_hosts_proc_gives_start_times_in_order():
    parent, me = host_procs._row(str(os.getppid())), host_procs._row(str(os.getpid()))
    assert parent is not None and me is not None
    assert 0 < int(parent["START"]) <= int(me["START"])  # a parent starts before its child

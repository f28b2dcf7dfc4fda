"""The tamper audit's view of a Docker container (``environment.Auditable``): its changes,
its processes, a path's metadata, all without running anything in the container."""

from __future__ import annotations

import asyncio
import base64
import json

from sandbox import host_procs, overlay
from sandbox.docker_host import docker_errors
from sandbox.environment import ChangeKind, FileChange, PathStat

_DIFF_KINDS = {0: ChangeKind.MODIFIED, 1: ChangeKind.ADDED, 2: ChangeKind.DELETED}


class AuditMixin:
    """Mixed into ``DockerContainer``, which supplies client, id, spec, _run and _inspection."""

    async def stat(self, path: str) -> PathStat | None:
        def head() -> PathStat | None:
            api = self.client.api
            with docker_errors(f"stat {path} in {self.spec.name}"):
                response = api.head(api._url("/containers/{0}/archive", self.id), params={"path": path})
                if response.status_code == 404:
                    return None
                api._raise_for_status(response)
            raw = json.loads(base64.b64decode(response.headers["X-Docker-Container-Path-Stat"]))
            return PathStat(raw.get("name", ""), int(raw.get("size", 0)), int(raw.get("mode", 0)),
                            raw.get("linkTarget", ""))

        return await self._run(head)

    def _inspected(self) -> asyncio.Future[dict]:
        """The container's inspection, made once (its layers and its init's pid do not change)."""
        if self._inspection is None:
            def inspect() -> dict:
                with docker_errors(f"inspecting {self.spec.name}"):
                    return self.client.api.inspect_container(self.id)

            self._inspection = self._run(inspect)
            self._inspection.add_done_callback(lambda f: f.cancelled() or f.exception())
        return self._inspection

    async def _init_pid(self) -> int:
        """The host pid of the container's init (0 when Docker does not say)."""
        inspected = await self._inspected()
        return int((inspected.get("State") or {}).get("Pid") or 0)

    async def changes(self) -> list[FileChange]:
        inspected = await self._inspected()

        def read() -> list[FileChange]:
            try:
                upper, lowers = overlay.layer_dirs(inspected)
                found, complete = overlay.changes(upper, lowers)
                if complete:
                    return found
            except overlay.OverlayUnavailable:
                pass
            with docker_errors(f"listing changes of {self.spec.name}"):
                return [FileChange(c["Path"], _DIFF_KINDS[c["Kind"]]) for c in self.client.api.diff(self.id) or []]

        return await self._run(read)

    async def processes(self) -> list[str]:
        pid = await self._init_pid()

        def listing() -> list[str]:
            try:
                return _strays(host_procs.processes(pid))
            except host_procs.NotLocal:
                pass
            with docker_errors(f"listing processes of {self.spec.name}"):
                top = self.client.api.top(self.id)
            titles = top.get("Titles") or []
            return _strays([dict(zip(titles, row)) for row in top.get("Processes") or []])

        return await self._run(listing)


def _strays(rows: list[dict[str, str]]) -> list[str]:
    """Command lines of the processes besides the container's init and its main ``sleep``.

    The init's parent is outside the container; the main process is the init's first child:
    first by start time where this host's /proc gives it, since pids wrap around (a stray
    started after a wrap has the lower pid); by pid from the top API of a remote daemon.
    """
    pids = {row.get("PID") for row in rows}
    inits = [row for row in rows if row.get("PPID") not in pids]
    init_pids = {row.get("PID") for row in inits}
    children = sorted((row for row in rows if row.get("PPID") in init_pids),
                      key=lambda r: (int(r.get("START") or 0), int(r.get("PID") or 0)))
    main = children[0] if children else None
    return [row.get("CMD", "") for row in rows if row not in inits and row is not main]

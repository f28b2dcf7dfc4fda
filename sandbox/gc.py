"""Sweeping what dead runs left behind, found by label."""

from __future__ import annotations

from dataclasses import dataclass, field

import docker
import docker.errors

from sandbox.docker import LABEL_MANAGED, LABEL_OWNER, docker_errors, owner_alive
from sandbox.stage import sweep_doors


@dataclass
class GcReport:
    removed_containers: list[str] = field(default_factory=list)
    kept_live: list[str] = field(default_factory=list)
    """Containers of a live process (or another host), left alone."""
    removed_images: list[str] = field(default_factory=list)
    images_skipped: bool = False
    """Images were asked for but left alone because a live run may still need them."""
    removed_doors: list[str] = field(default_factory=list)
    """Host folders of verifier doors (``sandbox.stage``) whose container is gone."""


def gc(client: docker.DockerClient, *, everything: bool = False, images: bool = False,
       label: str | None = None) -> GcReport:
    """Remove containers of dead climb processes (all of ours with ``everything``), the
    verifier doors no container has, and with ``images`` the task images no container uses any more.

    Images are removed only when no live run is left (or with ``everything``): a
    running climb keeps its images between trials without a container on them.
    ``label`` narrows both sweeps to objects that also carry it (``key`` or ``key=value``).
    """
    report = GcReport()
    labels = [LABEL_MANAGED] + ([label] if label else [])
    with docker_errors("listing containers"):
        found = client.api.containers(all=True, filters={"label": labels})
    for info in found:
        name = (info.get("Names") or [info["Id"]])[0].lstrip("/")
        alive = owner_alive((info.get("Labels") or {}).get(LABEL_OWNER, ""))
        if not everything and alive is not False:
            report.kept_live.append(name)
            continue
        try:
            client.api.remove_container(info["Id"], force=True, v=True)
            report.removed_containers.append(name)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            report.kept_live.append(f"{name} (remove failed: {exc.explanation or exc})")
    with docker_errors("listing containers"):
        existing = {n.lstrip("/") for c in client.api.containers(all=True) for n in c.get("Names") or []}
    report.removed_doors = sweep_doors(existing)
    if images and report.kept_live and not everything:
        report.images_skipped = True
    elif images:
        with docker_errors("listing images"):
            ours = client.api.images(filters={"label": labels})
        for image in ours:
            tag = (image.get("RepoTags") or [image["Id"]])[0]
            try:
                client.api.remove_image(image["Id"], force=False)
                report.removed_images.append(tag)
            except docker.errors.APIError:
                continue  # in use by a live container: keep it
    return report

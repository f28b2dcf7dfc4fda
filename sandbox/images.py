"""Task images: one per environment content hash, built once, reused by every trial."""

from __future__ import annotations

import asyncio
import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from sandbox.docker import LABEL_MANAGED, docker_errors
from sandbox.environment import InfraError
from sandbox.task import Task, hash_tree

IMAGE_REPO = "climb-env"
LABEL_ENV_HASH = "climb.env_hash"
BUILD_LOG_TAIL = 40
BUILD_THREADS = 4
"""Image work (builds, pulls, inspections) at once; builds hold a thread for minutes,
so they get their own pool rather than asyncio's shared one."""
LOG_DIRS = ("/logs/agent", "/logs/verifier", "/logs/artifacts")
_LOGS_LAYER = """FROM {source}
USER 0
RUN mkdir -p {dirs} && chmod 777 {dirs}
USER {user}
"""


@dataclass(frozen=True)
class ImageInfo:
    """A ready image and what the trial needs to know about it."""

    tag: str
    user: str
    """The image's USER ('' means root)."""
    workdir: str
    """The image's WORKDIR ('' means /)."""
    built: bool
    """True if this call built it (False: it was cached)."""
    build_s: float
    path: str = ""
    """The image's PATH ('' when it sets none)."""


class ImageCache:
    """Builds task images on demand, keyed by the hash of environment/."""

    def __init__(self, client: docker.DockerClient):
        self.client = client
        self._executor = ThreadPoolExecutor(max_workers=BUILD_THREADS, thread_name_prefix="climb-images")
        self._locks: dict[str, asyncio.Lock] = {}
        self._ready: dict[str, ImageInfo] = {}
        self._failed: dict[str, InfraError] = {}

    def forget_failures(self) -> None:
        """Let failed builds be tried again (after a pause, the cause may have been fixed)."""
        self._failed.clear()

    async def ensure(self, task: Task) -> ImageInfo:
        """Return the task's image, building it if needed.

        Raises:
            InfraError: kind "build" naming the task and the build log's tail, or
                kind "image" when a prebuilt image is missing.
        """
        env = task.config.environment
        if env.docker_image:
            key = f"prebuilt:{env.docker_image}"
        else:
            key = f"{IMAGE_REPO}:{hash_tree(task.environment_dir)[:24]}-src"
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key in self._ready:
                cached = self._ready[key]
                return ImageInfo(cached.tag, cached.user, cached.workdir, False, 0.0, cached.path)
            if key in self._failed:
                raise self._failed[key]
            started = time.monotonic()
            if env.docker_image:
                source = await self._run(self._prebuilt, task, env.docker_image)
            else:
                source = await self._build_with_retry(task, key, env.build_timeout_sec)
            info = await self._run(self._with_log_dirs, task, source)
            info = ImageInfo(info.tag, info.user, info.workdir, info.built, time.monotonic() - started, info.path)
            self._ready[key] = info
            return info

    def _run(self, fn, *args):
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _build_with_retry(self, task: Task, key: str, timeout_sec: float) -> ImageInfo:
        """Two tries (a mirror can hiccup); then the failure is remembered for this
        process, so every trial of a broken task fails at once instead of rebuilding."""
        try:
            return await self._run(self._build, task, key, timeout_sec)
        except InfraError as first:
            if first.kind != "build":
                raise
        try:
            return await self._run(self._build, task, key, timeout_sec)
        except InfraError as exc:
            if exc.kind == "build":
                self._failed[key] = exc
            raise

    def _with_log_dirs(self, task: Task, source: ImageInfo) -> ImageInfo:
        """A thin layer on top with Harbor's /logs folders (mode 777) already made.

        Creating them at build time, once per environment, saves an upload or an
        exec on every trial. The image's USER and WORKDIR are kept.
        """
        with docker_errors(f"task {task.id}: inspecting {source.tag}"):
            image_id = self.client.api.inspect_image(source.tag)["Id"].split(":")[-1]
            tag = f"{IMAGE_REPO}:{image_id[:24]}"
            found = self._inspect(tag)
            if found is not None:
                return self._info(tag, found, built=source.built)
            dockerfile = _LOGS_LAYER.format(source=source.tag, dirs=" ".join(LOG_DIRS),
                                            user=source.user or "0")
            try:
                self.client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True,
                                         forcerm=True, pull=False,
                                         labels={LABEL_MANAGED: "1", LABEL_ENV_HASH: image_id[:24]})
            except docker.errors.BuildError as exc:
                raise InfraError(f"task {task.id}: adding /logs to {source.tag} failed: {exc}", "build",
                                 retryable=False) from exc
            found = self._inspect(tag)
        if found is None:
            raise InfraError(f"task {task.id}: {tag} missing after build", "build", retryable=False)
        return self._info(tag, found, built=True)

    def _inspect(self, tag: str) -> dict | None:
        try:
            return self.client.api.inspect_image(tag)
        except docker.errors.ImageNotFound:
            return None

    @staticmethod
    def _info(tag: str, inspected: dict, built: bool) -> ImageInfo:
        config = inspected.get("Config") or {}
        path = next((e.split("=", 1)[1] for e in config.get("Env") or [] if e.startswith("PATH=")), "")
        return ImageInfo(tag, config.get("User") or "", config.get("WorkingDir") or "", built, 0.0, path)

    def _prebuilt(self, task: Task, image: str) -> ImageInfo:
        with docker_errors(f"task {task.id}: inspecting image {image}"):
            found = self._inspect(image)
            if found is None:
                try:
                    self.client.images.pull(image)
                except docker.errors.APIError as exc:
                    raise InfraError(
                        f"task {task.id}: [environment].docker_image {image!r} is not present "
                        f"locally and could not be pulled: {exc.explanation or exc}",
                        "image",
                    ) from exc
                found = self._inspect(image)
        if found is None:
            raise InfraError(f"task {task.id}: image {image!r} missing after pull", "image")
        return self._info(image, found, built=False)

    def _build(self, task: Task, tag: str, timeout_sec: float) -> ImageInfo:
        with docker_errors(f"task {task.id}: inspecting image {tag}"):
            found = self._inspect(tag)
        if found is not None:
            return self._info(tag, found, built=False)
        deadline = time.monotonic() + timeout_sec
        log: list[str] = []
        with docker_errors(f"task {task.id}: building {task.dockerfile}"):
            stream = self.client.api.build(
                path=str(task.environment_dir),
                tag=tag,
                rm=True,
                forcerm=True,
                decode=True,
                pull=False,
                timeout=max(timeout_sec, 1),
                labels={LABEL_MANAGED: "1", LABEL_ENV_HASH: tag.split(":", 1)[1]},
            )
            exceeded = InfraError(f"task {task.id}: building {task.dockerfile} exceeded "
                                  f"[environment].build_timeout_sec = {timeout_sec:g}", "build",
                                  retryable=False)
            try:
                for chunk in stream:
                    if "stream" in chunk:
                        log.extend(line for line in chunk["stream"].splitlines() if line.strip())
                        del log[:-BUILD_LOG_TAIL]
                    if "error" in chunk:
                        tail = "\n".join(log[-15:])
                        raise InfraError(
                            f"task {task.id}: building {task.dockerfile} failed: "
                            f"{chunk['error'].strip()}\n{tail}",
                            "build", retryable=False,
                        )
                    if time.monotonic() > deadline:
                        raise exceeded
            except (urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError) as exc:
                # A step silent for longer than the HTTP read timeout (= the build timeout).
                raise exceeded from exc
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()
            found = self._inspect(tag)
        if found is None:
            raise InfraError(f"task {task.id}: build finished but {tag} is missing", "build", retryable=False)
        return self._info(tag, found, built=True)

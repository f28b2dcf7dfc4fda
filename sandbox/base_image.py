"""The base image the example tasks start FROM.

With a registry: ``FROM debian:bookworm-slim`` plus packages. Without one (this
project's CI): a ``debootstrap`` root filesystem from the Debian mirror apt
already uses, imported with ``docker import``.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker
import docker.errors

from sandbox.defaults import BASE_IMAGE
from sandbox.docker import docker_errors
from sandbox.environment import InfraError

PACKAGES = ["bash", "python3", "coreutils", "git", "ca-certificates", "procps"]
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

_REGISTRY_DOCKERFILE = f"""FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends {' '.join(PACKAGES)} \\
    && rm -rf /var/lib/apt/lists/*
"""


def apt_mirror() -> str:
    """The Debian mirror this host's apt uses (so containers reach the same one)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*.s*"))]
    patterns = (r"^URIs:\s*(\S+)", r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\b")
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        for pattern in patterns:
            for uri in re.findall(pattern, text, re.MULTILINE):
                if "security" not in uri and uri.rstrip("/").endswith("debian"):
                    return uri.rstrip("/")
    return DEFAULT_MIRROR


def image_exists(client: docker.DockerClient, name: str = BASE_IMAGE) -> bool:
    try:
        client.api.inspect_image(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def _try_registry(client: docker.DockerClient, name: str, log) -> bool:
    try:
        client.images.pull("debian", tag="bookworm-slim")
    except (docker.errors.APIError, docker.errors.DockerException) as exc:
        log(f"registry not reachable ({str(exc).splitlines()[0][:120]}); using debootstrap")
        return False
    with docker_errors("building the base image from debian:bookworm-slim"):
        client.images.build(fileobj=io.BytesIO(_REGISTRY_DOCKERFILE.encode()), tag=name, rm=True)
    return True


def _debootstrap(client: docker.DockerClient, name: str, mirror: str, log) -> None:
    if shutil.which("debootstrap") is None:
        raise InfraError("no registry and no debootstrap: install it (apt-get install debootstrap)", "build")
    with tempfile.TemporaryDirectory(prefix="climb-base-") as tmp:
        root = Path(tmp) / "rootfs"
        log(f"debootstrap bookworm from {mirror} (about a minute)")
        cmd = [
            "debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
            "bookworm", str(root), mirror,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise InfraError(f"debootstrap failed ({proc.returncode}): {proc.stderr[-2000:]}", "build")
        (root / "etc/apt/sources.list").write_text(f"deb {mirror} bookworm main\n")
        # Containers do not trust a proxy CA the host trusts; hand them the host's bundle.
        if HOST_CA_BUNDLE.is_file():
            shutil.copyfile(HOST_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
        shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
        shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
        (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
        log(f"importing {name}")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        with docker_errors(f"importing {name}"):
            repo, tag = name.split(":", 1)
            client.api.import_image_from_stream(tar.stdout, repository=repo, tag=tag,
                                                changes=['CMD ["bash"]', "ENV LANG=C.UTF-8"])
        tar.wait()


def build_base_image(
    client: docker.DockerClient,
    name: str = BASE_IMAGE,
    *,
    force: bool = False,
    mirror: str | None = None,
    use_registry: bool = True,
    log=print,
) -> bool:
    """Build the base image unless it exists. Returns True if it was built."""
    if not force and image_exists(client, name):
        log(f"{name} already exists")
        return False
    if use_registry and _try_registry(client, name, log):
        return True
    _debootstrap(client, name, mirror or apt_mirror(), log)
    if not image_exists(client, name):
        raise InfraError(f"{name} is missing after the build", "build")
    return True

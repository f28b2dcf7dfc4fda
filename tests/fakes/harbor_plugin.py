"""A third-party Harbor environment for tests, loaded as ``harbor:tests.fakes.harbor_plugin:PublicOnlyDocker``.

Harbor's local Docker environment that never offers network isolation, whatever the
machine: the capability check must refuse a no-network task up front, naming it.
"""

from __future__ import annotations

from harbor.environments.capabilities import EnvironmentCapabilities
from harbor.environments.docker.docker import DockerEnvironment


class PublicOnlyDocker(DockerEnvironment):
    @staticmethod
    def type() -> str:
        return "public-only-docker"

    @property
    def capabilities(self) -> EnvironmentCapabilities:
        return super().capabilities.model_copy(update={"disable_internet": False, "network_allowlist": False})

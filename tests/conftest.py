"""Shared fixtures: a real Docker daemon, an image cache, a trial runner per test."""

from __future__ import annotations

import secrets

import pytest

from sandbox.base_image import BASE_IMAGE, image_exists
from sandbox.docker import LABEL_RUN, connect
from sandbox.images import ImageCache
from sandbox.trial import TrialConfig, TrialRunner
from tests.fakes.messages_api import FakeLLMServer

MODEL_ENV_VARS = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL",
                  "OPENAI_API_KEY", "OPENAI_BASE_URL")


@pytest.fixture(autouse=True)
def no_real_model_calls(monkeypatch):
    """No test may reach a real model API by accident: credentials and endpoints are unset."""
    for name in MODEL_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_llm_server():
    """A local server speaking /v1/messages and /v1/chat/completions, scripted per test."""
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(scope="session")
def docker_client():
    client = connect()
    assert image_exists(client, BASE_IMAGE), f"{BASE_IMAGE} is missing: run `climb base-image`"
    return client


@pytest.fixture(scope="session")
def image_cache(docker_client):
    return ImageCache(docker_client)


def leftover_containers(client, run_id: str) -> list[str]:
    found = client.api.containers(all=True, filters={"label": [f"{LABEL_RUN}={run_id}"]})
    return [c["Names"][0] for c in found]


@pytest.fixture
async def runner(docker_client, image_cache):
    """A TrialRunner with a unique run id; the test fails if any container of it survives
    (once the removals it started in the background are done)."""
    run_id = f"test-{secrets.token_hex(3)}"
    runner = TrialRunner(docker_client, image_cache, run_id,
                         TrialConfig(max_attempts=2, retry_backoff_sec=0.05))
    yield runner
    await runner.drain()
    assert leftover_containers(docker_client, run_id) == []

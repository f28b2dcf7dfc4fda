"""A climbed agent.py as a Harbor agent (``harbor run --agent <module>:<Class>``).

``climb export`` writes a small module whose class subclasses ``ClimbHarborAgent``
and names the exported agent.py. Harbor calls ``run(instruction, environment,
context)``; agent.py then runs exactly as in a climb: in its jail on this machine,
through our runtime, its commands going to Harbor's environment over the exec
channel and its model calls through our providers (keys from the environment, one
retry layer, prices). The ATIF trajectory (a version Harbor's validator accepts) is
written into the agent's logs folder, where Harbor looks for ``trajectory.json``,
and tokens and cost go into Harbor's context.

Options (``--ak key=value``): ``jail=none`` (no bubblewrap on this machine; no
isolation), ``model_base_url=URL`` (an Anthropic- or OpenAI-compatible server),
``prices=FILE``. ``-m provider:model-id`` (or Harbor's ``provider/model-id``)
overrides agent.py's MODEL.

Outcomes map onto Harbor's own failure classes, which it tells apart by name: a
crashed agent.py is graded like a non-zero exit; a model outage is retried and its
reward does not count; bad credentials are neither retried nor graded.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, ClassVar

from harbor.agents.base import BaseAgent
from harbor.agents.capabilities import AgentCapabilities
from harbor.agents.installed.base import AgentAuthenticationError, ApiError, NonZeroAgentExitCodeError
from harbor.models.agent.context import AgentContext as HarborContext

from models import PriceTable
from sandbox.agents import AgentContext, AgentError, AgentOutcome
from sandbox.environment import InfraError
from sandbox.harbor_env import HarborEnvironment
from sandbox.task import Task
from sandbox.task_config import TaskConfig
from task_agent.host import HarnessAgent
from task_agent.host_session import ModelSettings
from task_agent.jail import JailConfig

TRAJECTORY = "trajectory.json"
HARBOR_PROVIDERS = ("anthropic", "openai", "scripted")


class MissingExtraError(RuntimeError):
    """This machine lacks what the agent's runtime needs (bubblewrap): Harbor neither
    retries nor grades an error of this name."""


def task_model(model_name: str | None) -> str | None:
    """Our ``provider:model-id`` from Harbor's ``-m`` (which may say ``provider/model-id``)."""
    if not model_name or ":" in model_name.split("/", 1)[0]:
        return model_name or None
    provider, sep, model = model_name.partition("/")
    return f"{provider}:{model}" if sep and provider in HARBOR_PROVIDERS else model_name


class ClimbHarborAgent(BaseAgent):
    """Runs ``AGENT_FILE`` (set by the exported subclass) as a Harbor agent."""

    AGENT_FILE: ClassVar[Path | None] = None
    """The exported agent.py."""
    AGENT_VERSION: ClassVar[str] = ""
    """Where it came from (the climb's commit), shown as the agent's version."""
    AGENT_SHA256: ClassVar[str] = ""
    """The exported file's hash: a file changed after its leak scan does not run."""
    capabilities = AgentCapabilities(atif=True, skills=True)

    def __init__(self, logs_dir: Path, model_name: str | None = None, logger: logging.Logger | None = None,
                 *args: Any, jail: str = "bwrap", model_base_url: str | None = None, prices: str | None = None,
                 **kwargs: Any):
        super().__init__(logs_dir, model_name, logger, *args, **kwargs)
        if self.AGENT_FILE is None or not Path(self.AGENT_FILE).is_file():
            raise ValueError(f"{type(self).__name__}: AGENT_FILE {self.AGENT_FILE} is not a file")
        digest = hashlib.sha256(Path(self.AGENT_FILE).read_bytes()).hexdigest()
        if self.AGENT_SHA256 and digest != self.AGENT_SHA256:
            raise ValueError(f"{self.AGENT_FILE} changed after `climb export` scanned it (sha256 {digest[:12]}, "
                             f"exported {self.AGENT_SHA256[:12]}): export it again")
        self._settings = ModelSettings(task_model=task_model(model_name), base_url=model_base_url,
                                       prices=PriceTable.load(prices) if prices else None)
        self._jail = JailConfig(kind=jail)  # validated: "bwrap" or "none"

    @staticmethod
    def name() -> str:
        return "harness-climb"

    def version(self) -> str | None:
        return self.AGENT_VERSION or None

    async def setup(self, environment: Any) -> None:
        """Nothing to install in the sandbox: agent.py runs on this machine."""

    async def run(self, instruction: str, environment: Any, context: HarborContext) -> None:
        trial = self.logs_dir.parent.name or "trial"
        task = Task(id=trial, path=self.logs_dir, instruction=instruction, environment_dir=self.logs_dir,
                    tests_dir=self.logs_dir, solution_dir=None,
                    config=TaskConfig.model_validate({"environment": {"skills_dir": self.skills_dir}}))
        env = HarborEnvironment(environment, f"harbor {environment.type()} {trial}")
        # user and workdir None: Harbor has set the task's agent user as the environment's default.
        ctx = AgentContext(task=task, env=env, logs_dir=self.logs_dir, timeout_sec=None, user=None, workdir=None,
                           trial_id=trial, run_id=f"harbor-{trial}")
        harness = HarnessAgent(Path(self.AGENT_FILE), self._settings, self._jail, label=self.name())
        try:
            await harness.run(ctx)
        except AgentError as exc:
            raise NonZeroAgentExitCodeError(f"agent.py: {exc}") from exc
        except InfraError as exc:
            if exc.kind == "model_unavailable":
                raise ApiError(str(exc)) from exc
            if exc.kind in ("model_auth", "model_config"):
                raise AgentAuthenticationError(str(exc)) from exc
            if exc.kind == "jail":
                raise MissingExtraError(f"{exc} (or run with --ak jail=none)") from exc
            raise
        finally:
            _fill(context, ctx.outcome)
            await self._publish_trajectory(env)

    async def _publish_trajectory(self, env: HarborEnvironment) -> None:
        """Put our trajectory at /logs/agent/ in the sandbox too: Harbor copies that folder
        over the host's after the run, so a file the task's commands left there must not win."""
        path = self.logs_dir / TRAJECTORY
        if not path.is_file():
            return
        try:
            await env.write_file(f"{self.environment_logs_dir.as_posix()}/{TRAJECTORY}", path.read_bytes())
        except (InfraError, OSError) as exc:
            self.logger.warning("could not copy %s into the environment: %s", path, exc)


def _fill(context: HarborContext, outcome: AgentOutcome | None) -> None:
    usage = (outcome.usage if outcome else None) or {}
    cached = int(usage.get("cache_read_tokens", 0))
    context.n_input_tokens = int(usage.get("input_tokens", 0)) + cached + int(usage.get("cache_write_tokens", 0))
    context.n_cache_tokens = cached
    context.n_output_tokens = int(usage.get("output_tokens", 0))
    context.cost_usd = float(usage.get("cost_usd", 0.0))
    context.metadata = {**(context.metadata or {}), "model": outcome.model if outcome else None,
                        "model_calls": int(usage.get("model_calls", 0))}

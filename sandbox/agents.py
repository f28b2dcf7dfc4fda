"""The agent protocol a trial drives, and the two built-in agents (oracle, nop).

The LLM task agent (``task_agent.host.HarnessAgent``) implements the same
protocol, so trial.py never changes when a new kind of agent plugs in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sandbox.environment import Environment
from sandbox.task import Task


class AgentError(Exception):
    """The agent failed (its own fault): the trial is agent_error, the verifier still runs."""

    def __init__(self, message: str, kind: str = "agent_crash"):
        super().__init__(message)
        self.kind = kind


@dataclass
class AgentContext:
    """What a trial hands its agent."""

    task: Task
    env: Environment
    logs_dir: Path
    """Host folder for the agent's logs and trajectory (the trial's agent/ folder)."""
    timeout_sec: float | None
    """The agent phase's budget; the trial enforces it, agents may plan with it."""
    user: str | int | None
    """User the agent's commands should run as ([agent].user; None: the image USER)."""
    workdir: str | None
    """Working directory of the task's commands."""
    trial_id: str
    run_id: str
    outcome: AgentOutcome | None = None
    """An agent may set this as it goes (e.g. in ``finally``) so that usage spent
    before a timeout or crash is still recorded."""


@dataclass(frozen=True)
class AgentOutcome:
    """What an agent reports when it returns normally."""

    model: str | None = None
    usage: dict[str, Any] | None = None
    """Tokens and cost, e.g. {"input_tokens": .., "output_tokens": .., "cost_usd": ..}."""
    warnings: list[str] = field(default_factory=list)


class Agent(Protocol):
    """Anything that can act on a task's environment for one trial.

    Raise ``AgentError`` for the agent's own failures and ``InfraError`` for
    failures outside it (Docker, the model API); any other exception is booked
    as an agent crash.
    """

    name: str
    # Optional: ``audit_exempt``, a tuple of container paths the agent's own machinery
    # writes (the oracle's /solution), which the tamper audit then does not judge.

    async def run(self, ctx: AgentContext) -> AgentOutcome: ...


class NopAgent:
    """Does nothing: a valid task's verifier must give it 0."""

    name = "nop"

    async def run(self, ctx: AgentContext) -> AgentOutcome:
        return AgentOutcome()


class OracleAgent:
    """Runs the task's solution/solve.sh as Harbor's oracle does."""

    name = "oracle"
    audit_exempt = ("/solution",)

    async def run(self, ctx: AgentContext) -> AgentOutcome:
        solution = ctx.task.solution_dir
        if solution is None or not (solution / "solve.sh").is_file():
            raise AgentError(f"task {ctx.task.id} has no solution/solve.sh", "no_solution")
        await ctx.env.upload(solution, "/solution", executable=True)
        env = {"DEBIAN_FRONTEND": "noninteractive", **ctx.task.solution_env}
        result = await ctx.env.exec(
            "(/solution/solve.sh) > /logs/agent/oracle.txt 2>&1",
            timeout=ctx.timeout_sec,
            user=ctx.user,
            env=env,
            cwd=ctx.workdir,
        )
        if result.timed_out:
            raise TimeoutError("solve.sh exceeded the agent timeout")
        if result.exit_code != 0:
            raise AgentError(f"solve.sh exited with {result.exit_code}", "agent_exit_code")
        return AgentOutcome()


BUILTIN_AGENTS = {"oracle": OracleAgent, "nop": NopAgent}

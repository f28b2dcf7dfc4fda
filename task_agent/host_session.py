"""One trial's agent session on the host: the model clients it may use, what it spent,
and the handlers of its channel requests (exec, complete, read_file, write_file)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

from models import (
    ModelClient,
    ModelConfigError,
    ModelContextError,
    ModelRequestError,
    PriceTable,
    RetryPolicy,
    ScriptExhaustedError,
    UsageTracker,
    create_model,
)
from models.messages import Usage
from sandbox.agents import AgentContext, AgentError, AgentOutcome
from sandbox.environment import InfraError
from task_agent.model_choice import ModelChoice, agent_label

MAX_FILE_BYTES = 2_000_000
WRITE_CHUNK = 48 * 1024


@dataclass
class ModelSettings:
    """How the parent reaches models on the agent's behalf."""

    task_model: str | None = None
    """The only model the trials may call (pairings, --task-model); agent.py's MODEL is then ignored."""
    allowed_models: list[str] | None = None
    """Without a task model: the models a trial may call besides the MODEL its agent.py names
    (read by the parent when the trial starts). A call for any other model fails the trial
    as agent_error. ``scripted:`` models are served only when named here or as the task model."""
    base_url: str | None = None
    prices: PriceTable | None = None
    retry: RetryPolicy | None = None
    tracker: UsageTracker = field(default_factory=UsageTracker)
    """Shared by every trial: per-role spend for budgets."""


class AgentSession:
    """One trial's agent process and what it has spent."""

    def __init__(self, models: ModelSettings, ctx: AgentContext, choice: ModelChoice):
        self.models, self.ctx, self.choice = models, ctx, choice
        self.clients: dict[str, ModelClient] = {}
        self.usage = Usage()
        self.cost = 0.0
        self.calls = 0
        self.model: str | None = None
        self.done: dict[str, Any] | None = None
        self.lingered = False
        """It reported done but did not exit (a thread or child kept it alive) and was killed."""
        self.agent_deadline = 0.0
        self.notes: list[str] = []
        """What the parent has to say about the run (left-out logs, a lingering agent): stderr and warnings."""

    def outcome(self) -> AgentOutcome:
        usage = {"input_tokens": self.usage.input_tokens, "output_tokens": self.usage.output_tokens,
                 "cache_read_tokens": self.usage.cache_read_tokens,
                 "cache_write_tokens": self.usage.cache_write_tokens,
                 "reasoning_tokens": self.usage.reasoning_tokens,
                 "cost_usd": round(self.cost, 6), "model_calls": self.calls}
        return AgentOutcome(model=self.model, usage=usage, warnings=[f"agent: {note}" for note in self.notes])

    def client(self, requested: str) -> ModelClient:
        """The client of a model this trial may call.

        Raises:
            AgentError: The agent asked for a model it may not call, or its own MODEL
                cannot be built (unknown provider, missing key): its fault, scored.
            InfraError: A model the operator configured cannot be built (should have
                failed at start-up).
        """
        name = self.choice.resolve(requested)
        if name not in self.clients:
            settings = self.models
            try:
                self.clients[name] = create_model(name, role="task", tracker=settings.tracker,
                                                  base_url=settings.base_url, prices=settings.prices,
                                                  retry=settings.retry)
            except ModelConfigError as exc:
                if name in self.choice.operator:
                    raise InfraError(f"model {name!r}: {exc}", "model_config", retryable=False) from exc
                raise AgentError(f"agent.py's MODEL {name!r} cannot be used: {exc}", "model_config") from exc
        self.model = name
        return self.clients[name]

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "exec":
            return await self._exec(request)
        if op == "complete":
            return await self._complete(request)
        if op == "read_file":
            return await self._read_file(str(request["path"]))
        if op == "write_file":
            return await self._write_file(str(request["path"]), str(request.get("text", "")))
        return {"ok": False, "error": f"unknown op {op!r}", "kind": "bad_request"}

    def _bounded(self, timeout: Any) -> float:
        left = max(1.0, self.agent_deadline - asyncio.get_running_loop().time())
        return min(float(timeout), left) if timeout else left

    async def _exec(self, request: dict[str, Any]) -> dict[str, Any]:
        ctx = self.ctx
        result = await ctx.env.exec(str(request["cmd"]), timeout=self._bounded(request.get("timeout")),
                                    user=ctx.user, env={str(k): str(v) for k, v in (request.get("env") or {}).items()},
                                    cwd=request.get("cwd") or ctx.workdir)
        return {"ok": True, "result": {"exit_code": result.exit_code, "stdout": result.stdout,
                                       "stderr": result.stderr, "timed_out": result.timed_out,
                                       "truncated": result.truncated}}

    async def _complete(self, request: dict[str, Any]) -> dict[str, Any]:
        client = self.client(str(request.get("model") or ""))
        try:
            reply = await client.complete(request["messages"], system=request.get("system", ""),
                                          tools=request.get("tools") or [],
                                          max_tokens=int(request.get("max_tokens") or 4096),
                                          tool_choice=request.get("tool_choice"),
                                          thinking=request.get("thinking"), effort=request.get("effort"),
                                          temperature=request.get("temperature"))
        except ScriptExhaustedError as exc:
            # Not a request the agent could fix: the test double is wrong. Fail the trial,
            # even if agent.py catches ModelError and carries on.
            raise AgentError(str(exc), "script_exhausted") from exc
        except ModelContextError as exc:  # agent.py may shorten its conversation and go on
            return {"ok": False, "error": str(exc), "kind": "context_window"}
        except ModelRequestError as exc:
            return {"ok": False, "error": self._for_agent(str(exc)), "kind": "model_request"}
        self.calls += 1
        self.usage = self.usage + reply.usage
        self.cost += reply.cost_usd
        return {"ok": True, "result": {**reply.to_json(), "model": agent_label(reply.model)}}

    def _for_agent(self, text: str) -> str:
        """A scripted model's messages name its host file: the agent sees the file's name only."""
        for name in self.choice.served.values():
            if name.startswith("scripted:"):
                text = text.replace(name[len("scripted:"):], agent_label(name)[len("scripted:"):])
        return text

    async def _read_file(self, path: str) -> dict[str, Any]:
        result = await self.ctx.env.exec(f"head -c {MAX_FILE_BYTES} -- {_q(path)} | base64",
                                         timeout=60, user=self.ctx.user, cwd=self.ctx.workdir)
        if result.exit_code != 0 or result.stderr.strip():
            return {"ok": False, "error": result.stderr.strip() or f"cannot read {path}", "kind": "file"}
        data = base64.b64decode(result.stdout)
        return {"ok": True, "result": data.decode("utf-8", errors="replace")}

    async def _write_file(self, path: str, text: str) -> dict[str, Any]:
        data = text.encode()
        chunks = [data[i:i + WRITE_CHUNK] for i in range(0, len(data), WRITE_CHUNK)] or [b""]
        for index, chunk in enumerate(chunks):
            redirect = ">" if index == 0 else ">>"
            prefix = f"mkdir -p -- \"$(dirname -- {_q(path)})\" && " if index == 0 else ""
            encoded = base64.b64encode(chunk).decode()
            result = await self.ctx.env.exec(f"{prefix}printf %s {encoded} | base64 -d {redirect} {_q(path)}",
                                             timeout=60, user=self.ctx.user, cwd=self.ctx.workdir)
            if result.exit_code != 0:
                return {"ok": False, "error": result.stderr.strip() or f"cannot write {path}", "kind": "file"}
        return {"ok": True, "result": None}


def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"

"""A trajectory recorder writing Harbor's ATIF JSON after every step.

Stdlib only (it runs inside the agent's jail). The file is rewritten atomically
after each step, so a killed agent still leaves a valid trace behind.
"""

from __future__ import annotations

import time
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from durable import write_json_atomic
from models.messages import Reply

SCHEMA_VERSION = "ATIF-v1.6"
MAX_OBSERVATION_CHARS = 50_000
"""Observations longer than this are cut in the trajectory (the model saw what agent.py gave it)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_text_of(part.get("text", part.get("content", ""))) for part in content
                         if isinstance(part, dict))
    return str(content)


class Trajectory:
    """One agent session's ATIF document."""

    def __init__(self, path: Path, *, session_id: str, agent_name: str, agent_version: str, model_name: str):
        self.path = Path(path)
        self.started = time.monotonic()
        self.doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "session_id": session_id,
            "agent": {"name": agent_name, "version": agent_version, "model_name": model_name},
            "steps": [],
        }
        self.totals = {"prompt": 0, "completion": 0, "cached": 0, "cost": 0.0}

    @property
    def steps(self) -> list[dict[str, Any]]:
        return self.doc["steps"]

    def _add(self, step: dict[str, Any]) -> dict[str, Any]:
        step = {"step_id": len(self.steps) + 1, "timestamp": _now(), **step}
        self.steps.append(step)
        self.write()
        return step

    def system(self, text: str) -> None:
        self._add({"source": "system", "message": text})

    def user(self, content: Any) -> None:
        self._add({"source": "user", "message": _text_of(content)})

    def agent(self, reply: Reply, effort: str | None = None) -> None:
        """Record one model turn with its tool calls, token usage and the effort asked for."""
        usage = reply.usage
        self.totals["prompt"] += usage.prompt_tokens
        self.totals["completion"] += usage.output_tokens
        self.totals["cached"] += usage.cache_read_tokens
        self.totals["cost"] += reply.cost_usd
        step: dict[str, Any] = {
            "source": "agent",
            "model_name": reply.model or None,
            "reasoning_effort": effort,
            "message": reply.text,
            "metrics": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.output_tokens,
                "cached_tokens": usage.cache_read_tokens,
                "cost_usd": round(reply.cost_usd, 8),
                "extra": {"stop_reason": reply.stop_reason, "cache_write_tokens": usage.cache_write_tokens,
                          "reasoning_tokens": usage.reasoning_tokens},
            },
        }
        if reply.reasoning:
            step["reasoning_content"] = reply.reasoning
        calls = reply.tool_calls
        if calls:
            step["tool_calls"] = [
                {"tool_call_id": c.id, "function_name": c.name, "arguments": c.arguments} for c in calls
            ]
        self._add({k: v for k, v in step.items() if v is not None})

    def observe(self, results: list[dict[str, Any]]) -> None:
        """Attach tool results to the latest agent step that called those tools (idempotent)."""
        for step in reversed(self.steps):
            if step["source"] != "agent":
                continue
            ids = {c["tool_call_id"] for c in step.get("tool_calls", [])}
            observed = step.setdefault("observation", {"results": []})["results"]
            seen = {r["source_call_id"] for r in observed}
            for result in results:
                call_id = result.get("tool_use_id")
                if call_id in ids and call_id not in seen:
                    content = _text_of(result.get("content", ""))
                    if result.get("is_error"):
                        content = "[error] " + content
                    observed.append({"source_call_id": call_id, "content": content[:MAX_OBSERVATION_CHARS]})
            if not observed:
                del step["observation"]
            break
        self.write()

    def finalize(self, extra: dict[str, Any] | None = None) -> None:
        self.doc["final_metrics"] = {
            "total_prompt_tokens": self.totals["prompt"],
            "total_completion_tokens": self.totals["completion"],
            "total_cached_tokens": self.totals["cached"],
            "total_cost_usd": round(self.totals["cost"], 8),
            "total_steps": len(self.steps),
            "extra": {"duration_sec": round(time.monotonic() - self.started, 3), **(extra or {})},
        }
        self.write()

    def write(self) -> None:
        if not self.steps:
            return  # ATIF requires at least one step
        write_json_atomic(self.path, self.doc, indent=1, ensure_ascii=False)

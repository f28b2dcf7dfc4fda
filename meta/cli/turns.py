"""`climb spot`'s stream: each trial's turns printed as they happen, then how it ended.

The jailed agent rewrites its ATIF trajectory after every step; a watcher per running trial
reads it a few times a second and prints what is new: a turn (assistant text clipped to
head and tail, thinking, tool calls, tokens, cost, stop reason) when the reply arrives, its
tool outputs when they do. The file is written by code the agent controls, so every field
is checked before use and text is printed as text, never as markup.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from sandbox.results import TrialResult

POLL_SEC = 0.25
TEXT_LINES, OUTPUT_LINES, REASONING_LINES, COMMAND_LINES, VERIFIER_TAIL_LINES = 12, 20, 6, 10, 20
MAX_LINE = 400
"""Characters of one line shown (a minified blob is one line)."""


def clip(text: Any, lines: int) -> str:
    """Head and tail of a text, with how much was left out between them."""
    rows = [row if len(row) <= MAX_LINE else f"{row[:MAX_LINE]} … [{len(row) - MAX_LINE} more characters]"
            for row in str(text or "").rstrip().splitlines()]
    if len(rows) <= lines:
        return "\n".join(rows)
    head, tail = rows[: lines - lines // 3], rows[-(lines // 3):]
    return "\n".join([*head, f"… [{len(rows) - len(head) - len(tail)} lines cut] …", *tail])


def indented(text: str, style: str = "", prefix: str = "  ") -> Text:
    """Every line of ``text`` behind ``prefix``, so a turn's parts stand under its header."""
    return Text("\n".join(prefix + line for line in text.split("\n")), style=style)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _money(value: Any) -> str:
    return f"${value:.4f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "$?"


def turn_header(step: dict[str, Any], turn: int) -> Text:
    metrics = _dict(step.get("metrics"))
    stop = str(_dict(metrics.get("extra")).get("stop_reason") or "?")
    head = Text(f"turn {turn}", style="bold magenta")
    head.append(f"  in {_int(metrics.get('prompt_tokens'))} / out {_int(metrics.get('completion_tokens'))} tokens"
                f"  {_money(metrics.get('cost_usd'))}  stop ")
    head.append(stop, style="bold yellow" if stop in ("max_tokens", "refusal", "other") else "")
    return head


def render_step(step: dict[str, Any], turn: int) -> list[Text]:
    """The lines of one trajectory step (an agent step without its outputs)."""
    source, message = step.get("source"), step.get("message")
    if source == "system":
        return [Text("system prompt", style="bold dim"), indented(clip(message, 6), "dim")]
    if source == "user":
        return [Text("user", style="bold blue"), indented(clip(message, 15))]
    if source != "agent":
        return []
    out = [turn_header(step, turn)]
    if step.get("reasoning_content"):
        out.append(indented(clip(step["reasoning_content"], REASONING_LINES), "italic dim"))
    if isinstance(message, str) and message.strip():
        out.append(indented(clip(message, TEXT_LINES)))
    for call in _list(step.get("tool_calls")):
        call = _dict(call)
        args = call.get("arguments")
        shown = args["command"] if isinstance(args, dict) and isinstance(args.get("command"), str) else \
            json.dumps(args, ensure_ascii=False)
        line = Text(f"  $ {call.get('function_name', '?')}: ", style="bold green")
        line.append(clip(shown, COMMAND_LINES).replace("\n", "\n    "), style="green")
        out.append(line)
    return out


def render_outputs(step: dict[str, Any], seen: set[str]) -> list[Text]:
    """Tool outputs of an agent step not printed yet (``seen`` holds their call ids)."""
    out = []
    for result in _list(_dict(step.get("observation")).get("results")):
        result = _dict(result)
        call_id = str(result.get("source_call_id"))
        if call_id in seen:
            continue
        seen.add(call_id)
        content = result.get("content")
        out.append(indented(clip(content if isinstance(content, str) else json.dumps(content), OUTPUT_LINES),
                            "red" if str(content).startswith("[error]") else "dim", prefix="    │ "))
    return out


class TrialWatcher:
    """Prints one trial's new steps each time its trajectory file changes."""

    def __init__(self, console: Console, trial_dir: Path, label: str):
        self.console, self.label = console, label
        self.path = Path(trial_dir) / "agent" / "trajectory.json"
        self.steps_shown = 0
        self.turns = self.calls = 0
        self.outputs_seen: set[str] = set()
        self.mtime: float | None = None
        self.result: TrialResult | None = None

    def say(self, lines: list[Text]) -> None:
        for line in lines:
            if self.label:
                prefixed = Text(f"[{self.label}] ", style="dim")
                prefixed.append_text(line)
                line = prefixed
            self.console.print(line, soft_wrap=True, highlight=False)

    def poll(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
            if mtime == self.mtime:
                return
            doc = json.loads(self.path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            return  # not written yet, or being replaced
        self.mtime = mtime
        steps = [_dict(s) for s in _list(_dict(doc).get("steps"))]
        if len(steps) < self.steps_shown:  # a retried attempt starts a new trajectory
            self.say([Text("(the trial is retried from the start)", style="yellow")])
            self.steps_shown, self.turns, self.calls, self.outputs_seen = 0, 0, 0, set()
        if self.steps_shown:  # outputs that arrived for the last step already shown
            self.say(render_outputs(steps[self.steps_shown - 1], self.outputs_seen))
        for step in steps[self.steps_shown:]:
            self.turns += step.get("source") == "agent"
            self.calls += len(_list(step.get("tool_calls")))
            self.say(render_step(step, self.turns) + render_outputs(step, self.outputs_seen))
        self.steps_shown = len(steps)

    async def watch(self) -> None:
        while self.result is None:
            self.poll()
            await asyncio.sleep(POLL_SEC)
        self.mtime = None
        self.poll()


class SpotStream:
    """The SuiteObserver of `climb spot`: a watcher per trial, the ending when it finishes."""

    def __init__(self, console: Console, several: bool, ending):
        self.console, self.several, self.ending = console, several, ending
        self.watchers: dict[str, TrialWatcher] = {}
        self.tasks: list[asyncio.Task] = []

    def trial_started(self, spec: Any) -> None:
        label = f"{spec.task.id} r{spec.repeat}" if self.several else ""
        self.console.print(Rule(Text(f"{spec.task.id}  repeat {spec.repeat}", style="bold")))
        watcher = TrialWatcher(self.console, spec.trial_dir, label)
        self.watchers[spec.trial_id] = watcher
        self.tasks.append(asyncio.get_running_loop().create_task(self._follow(watcher)))

    def trial_finished(self, result: TrialResult) -> None:
        watcher = self.watchers.get(result.trial_id)
        if watcher is not None:
            watcher.result = result

    async def _follow(self, watcher: TrialWatcher) -> None:
        await watcher.watch()
        self.ending(watcher, watcher.result)

    async def drain(self) -> None:
        """Wait until every trial's ending is printed."""
        await asyncio.gather(*self.tasks)

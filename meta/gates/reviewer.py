"""The judgement half of the anti-overfitting gate: would the edit still be worth it without its task?

A fresh conversation, with no history of the climb: the judge sees only the
diff, the proposer's description and its hypothesis, with task names redacted,
and answers through the ``verdict`` tool.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from meta.gates.leaks import name_pattern
from models.messages import Reply, sendable_content, tool_result
from models import ModelClient
from models.base import reply_cap, thinking_on

REFLECT_MAX_TOKENS = 1024
MAX_DIFF_CHARS = 40_000
NO_VERDICT = "no structured verdict"
QUESTION = "If this exact task disappeared, would this still be a worthwhile harness improvement?"

SYSTEM_PROMPT = """\
You review proposed changes to the harness of an AI agent that solves command-line tasks in a \
Linux container. The harness is a single Python file: the agent's system prompt, its tools and \
its control loop. An automated search proposes edits to this file and keeps those that raise the \
agent's score on a fixed benchmark of tasks.

Scores can rise for the wrong reason. An edit can encode knowledge of particular benchmark tasks \
instead of making the agent better at tasks in general. Your job is to tell these apart.

Judge the edit as if the specific tasks that motivated it had disappeared and the agent now \
faced new, unseen tasks of a similar kind.

The edit is worthwhile when it would plausibly help an agent on tasks it has never seen, for \
example: clearer general instructions, better tool design or output handling, recovering from \
failed commands, verifying work against the task's own requirements before finishing, managing \
time, turns or context. Domain advice is fine when it applies broadly ("parse CSV with a CSV \
parser, not by splitting on commas").

The edit is not worthwhile when its value depends on particular tasks: hard-coded file names, \
paths, values, expected outputs or commands from specific tasks; a recipe for one narrow task \
presented as general advice; code that recognises a particular task and special-cases it; or \
anything that games the evaluation (writing reward files, looking for tests or solutions).

Decide on generality, not on size or on how sure the benefit is: a small, plausible, general \
improvement is worthwhile. Task names have been replaced with <task>.

Answer by calling the `verdict` tool exactly once, with a reason of one or two sentences."""

VERDICT_TOOL: dict[str, Any] = {
    "name": "verdict",
    "description": "Record whether the edit is a worthwhile general harness improvement.",
    "input_schema": {
        "type": "object",
        "properties": {
            "worthwhile": {
                "type": "boolean",
                "description": "True if the edit would still be worthwhile if the tasks that "
                               "motivated it disappeared.",
            },
            "reason": {"type": "string", "description": "One or two sentences: why."},
        },
        "required": ["worthwhile", "reason"],
        "additionalProperties": False,
    },
}

_NUDGE = "Please give your answer now by calling the `verdict` tool with `worthwhile` and `reason`."


@dataclass(frozen=True)
class Verdict:
    """The judge's answer."""

    worthwhile: bool
    reason: str
    raw: str
    """What the judge returned: the tool call's arguments as JSON, or its text."""


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "no", "false"):
        return value.strip().lower() in ("yes", "true")
    return None


def _from_arguments(arguments: dict[str, Any], raw: str) -> Verdict | None:
    flag = _flag(arguments.get("worthwhile"))
    if flag is None:
        return None
    reason = arguments.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        reason = "(no reason given)"
    return Verdict(flag, reason.strip(), raw)


def _json_objects(text: str) -> list[dict[str, Any]]:
    decoder, found, pos = json.JSONDecoder(), [], text.find("{")
    while pos != -1:
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            pos = text.find("{", pos + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        pos = text.find("{", end)
    return found


def parse_verdict(reply: Reply) -> Verdict | None:
    """The verdict in a reply: a ``verdict`` tool call, else one clear JSON answer in its text."""
    for call in reply.tool_calls:
        if call.name == "verdict" and call.parse_error is None:
            verdict = _from_arguments(call.arguments, json.dumps(call.arguments))
            if verdict is not None:
                return verdict
    answers = [obj for obj in _json_objects(reply.text) if _flag(obj.get("worthwhile")) is not None]
    if answers and len({_flag(obj["worthwhile"]) for obj in answers}) == 1:
        return _from_arguments(answers[-1], reply.text)
    return None


def redact(text: str, names: Iterable[str]) -> str:
    """Replace each task name (as a whole token) with ``<task>``; longest names first."""
    for name in sorted(set(names), key=len, reverse=True):
        if name:
            text = name_pattern(name).sub("<task>", text)
    return text


def reflection_prompt(*, diff: str, description: str, hypothesis: str) -> str:
    """The judge's user message."""
    if len(diff) > MAX_DIFF_CHARS:
        diff = diff[:MAX_DIFF_CHARS] + f"\n[... diff truncated at {MAX_DIFF_CHARS} characters ...]"
    return (f"Description of the edit:\n{description.strip() or '(none)'}\n\n"
            f"The author's hypothesis:\n{hypothesis.strip() or '(none)'}\n\n"
            f"The diff of the harness file:\n```diff\n{diff}\n```\n\n{QUESTION}")


async def reflect(model: ModelClient, *, diff: str, description: str, hypothesis: str,
                  redact_names: Iterable[str] = (), max_tokens: int = REFLECT_MAX_TOKENS,
                  thinking: str | int | None = None, effort: str | None = None) -> Verdict:
    """Ask a judge model whether the edit is a worthwhile general improvement.

    A reply without a usable verdict gets one reminder; if the second reply has
    none either, the edit is judged not worthwhile (``reason == NO_VERDICT``).

    Args:
        model: The judge (created with role "judge", so its spend is counted apart).
        diff: The candidate's diff.
        description: The proposer's description of the edit.
        hypothesis: Why the proposer expects it to help.
        redact_names: Task names to hide from the judge.
        max_tokens: Cap per judge reply's answer (thinking gets room on top).
        thinking: The judge's thinking setting. A thinking judge is not forced to call the
            verdict tool (the Messages API refuses that combination); the reminder covers it.
        effort: The judge's effort level.

    Raises:
        ModelError: The judge could not be reached; that is infrastructure, not a verdict.
    """
    names = list(redact_names)
    prompt = reflection_prompt(diff=redact(diff, names), description=redact(description, names),
                               hypothesis=redact(hypothesis, names))
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    # Forced where the provider honours it (and the judge does not think); else the reminder.
    ask: dict[str, Any] = {"system": SYSTEM_PROMPT, "tools": [VERDICT_TOOL],
                           "max_tokens": reply_cap(max_tokens, thinking, effort),
           "tool_choice": None if thinking_on(thinking) else VERDICT_TOOL["name"], "thinking": thinking,
           "effort": effort}
    reply = await model.complete(messages, **ask)
    verdict = parse_verdict(reply)
    if verdict is not None:
        return verdict
    # Every tool_use must be answered before the reminder, or the API rejects the turn.
    answers: list[dict[str, Any]] = [
        tool_result(call.id, "Invalid verdict: give worthwhile (boolean) and reason (string).", True)
        for call in reply.tool_calls
    ]
    if reply.content:
        messages += [{"role": "assistant", "content": sendable_content(reply.content)},
                     {"role": "user", "content": [*answers, {"type": "text", "text": _NUDGE}]}]
    else:  # an empty assistant turn cannot be sent back
        messages = [{"role": "user", "content": f"{prompt}\n\n{_NUDGE}"}]
    second = await model.complete(messages, **ask)
    verdict = parse_verdict(second)
    if verdict is not None:
        return verdict
    raw = "\n".join(part for part in (reply.text, second.text) if part)
    return Verdict(False, NO_VERDICT, raw or json.dumps([c.arguments for c in second.tool_calls]))

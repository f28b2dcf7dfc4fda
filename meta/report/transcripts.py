"""The meta-agent's conversations, one readable page each (``transcripts/exp-NNNN.html``).

Read from the ATIF file each proposal leaves in its experiment folder (``meta-trajectory.json``,
and ``meta-trajectory.attempt-N.json`` for attempts an outage cut short). Everything in them
was written by a model, so every field is checked and escaped; long parts are collapsed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from meta.report.data import RunRecord
from meta.report.html import esc, page
from meta.report.links import experiment_folder, href

FOLDER = "transcripts"
FILE = "meta-trajectory.json"
OPEN_LINES = 25
"""Tool outputs and messages longer than this are collapsed."""


def transcript_files(record: RunRecord, exp: int) -> list[Path]:
    """The conversation files of one experiment: earlier attempts first, the last one last."""
    folder = experiment_folder(record, exp)
    return sorted(folder.glob("meta-trajectory.attempt-*.json")) + [p for p in [folder / FILE] if p.is_file()]


def write_transcripts(record: RunRecord, out: Path) -> dict[int, str]:
    """Write a page per experiment that has a transcript; returns its href (relative to ``out``)."""
    pages: dict[int, str] = {}
    for row in record.experiments:
        files = transcript_files(record, row.exp)
        if not files:
            continue
        path = out / FOLDER / f"exp-{row.exp:04d}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        parts = [render(_load(f), f, path.parent, attempt=i + 1, attempts=len(files)) for i, f in enumerate(files)]
        subtitle = (f"experiment {row.exp}: {esc(row.status)} · {esc(row.description)} · "
                    f'<a href="{href(out / "report.html", path.parent)}#exp-{row.exp}">back to the report</a>')
        path.write_text(page(f"Meta-agent, experiment {row.exp}", subtitle, parts), encoding="utf-8")
        pages[row.exp] = href(path, out)
    return pages


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError) as exc:
        return {"_error": f"{path.name} could not be read: {exc}"}
    return doc if isinstance(doc, dict) else {"_error": f"{path.name} is not a JSON object"}


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "?"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=1, ensure_ascii=False)


def _block(text: str, css: str = "", summary: str = "show", always: bool = False) -> str:
    """A <pre> block, collapsed behind ``summary`` when it is long (or ``always``)."""
    body = f'<pre class="{css}">{esc(text)}</pre>'
    lines = text.count("\n") + 1
    if lines <= OPEN_LINES and not always:
        return body
    return f"<details><summary>{esc(summary)} ({lines} line{'s' if lines != 1 else ''})</summary>{body}</details>"


def render(doc: dict[str, Any], source: Path, base: Path, *, attempt: int, attempts: int) -> str:
    """One conversation as HTML: totals and outcome first, then every step."""
    if "_error" in doc:
        return f'<section><p class="bad">{esc(doc["_error"])}</p></section>'
    final = doc.get("final_metrics") if isinstance(doc.get("final_metrics"), dict) else {}
    extra = final.get("extra") if isinstance(final.get("extra"), dict) else {}
    title = "Conversation" if attempts == 1 else f"Attempt {attempt} of {attempts}"
    facts = [f"outcome <b>{esc(extra.get('outcome', 'unfinished (the process was killed)'))}</b>",
             f"{esc(final.get('total_steps', len(doc.get('steps') or [])))} steps",
             (f"{_count(final.get('total_prompt_tokens'))} prompt / {_count(final.get('total_completion_tokens'))} "
             f"completion tokens"), f"${float(final.get('total_cost_usd') or 0):.4f}",
             f'<a href="{href(source, base)}">ATIF file</a>']
    head = f"<h2>{esc(title)}</h2><p class=\"note\">{' · '.join(facts)}</p>"
    if extra.get("error"):
        head += f'<p class="bad">error: {esc(extra["error"])}</p>'
    steps = doc.get("steps") if isinstance(doc.get("steps"), list) else []
    turn = 0
    body = []
    for step in steps:
        step = step if isinstance(step, dict) else {}
        turn += step.get("source") == "agent"
        body.append(_step(step, turn))
    return f"<section>{head}{''.join(body)}</section>"


def arguments(args: Any) -> str:
    """A tool call's arguments as ``name: value`` lines, a text argument as written (an edit's
    old and new text read as code, not as an escaped JSON string)."""
    if not isinstance(args, dict) or not all(isinstance(v, (str, int, float, bool)) or v is None
                                             for v in args.values()):
        return _text(args)
    lines = []
    for key, value in args.items():
        if isinstance(value, str) and "\n" in value:
            lines.append(f"{key}:\n" + "\n".join("    " + line for line in value.splitlines()))
        else:
            lines.append(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
    return "\n".join(lines)


def _step(step: dict[str, Any], turn: int) -> str:
    source, message = step.get("source"), _text(step.get("message") or "")
    if source == "system":
        return _block(message, summary="system prompt", always=True)
    if source == "user":
        if turn == 0:
            return _block(message, summary="first message: program.md, agent.py, the ledger", always=True)
        return f"<h3>user</h3>{_block(message)}"
    metrics = step.get("metrics") if isinstance(step.get("metrics"), dict) else {}
    stop = (metrics.get("extra") or {}).get("stop_reason") if isinstance(metrics.get("extra"), dict) else None
    parts = [(f"<h3>turn {turn}</h3><p class=\"note\">{_count(metrics.get('prompt_tokens'))} prompt / "
             f"{_count(metrics.get('completion_tokens'))} completion tokens · "
             f"${float(metrics.get('cost_usd') or 0):.4f} · stop: {esc(stop or '?')}</p>")]
    if step.get("reasoning_content"):
        parts.append('<p class="call">thinking</p>' + _block(_text(step["reasoning_content"]), "thinking",
                                                             summary="thinking"))
    if message.strip():
        parts.append('<p class="call">said</p>' + _block(message, "said"))
    outputs = {}
    observation = step.get("observation") if isinstance(step.get("observation"), dict) else {}
    for result in observation.get("results") or []:
        if isinstance(result, dict):
            outputs[str(result.get("source_call_id"))] = _text(result.get("content") or "")
    for call in step.get("tool_calls") or []:
        call = call if isinstance(call, dict) else {}
        parts.append(f'<p class="call">called <b>{esc(call.get("function_name", "?"))}</b></p>'
                     + _block(arguments(call.get("arguments")), "args", summary="arguments"))
        output = outputs.get(str(call.get("tool_call_id")))
        if output is not None:
            css = "bad" if output.startswith("[error]") else "output"
            parts.append('<p class="call">result</p>' + _block(output, css, summary="result"))
    return "".join(parts)

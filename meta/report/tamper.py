"""The tamper audit's flags in the report: every flagged trial of the climb, by experiment.

Read from the ``tamper`` events the climb records per batch (each names its trials, their
folders and flags); a candidate refused for them also has a ``tamper`` gate event.
"""

from __future__ import annotations

from pathlib import Path

from meta.report.data import RunRecord
from meta.report.html import Raw, esc, section, table
from meta.report.links import href

FLAGS_SHOWN = 5
"""Flags listed per trial (the rest are in its result.json)."""


def tamper_section(record: RunRecord, out: Path) -> str:
    refused = {e.get("exp") for e in record.of_kind("gate") if e.get("gate") == "tamper" and not e.get("passed")}
    rows = []
    for event in record.of_kind("tamper"):
        exp = event.get("exp")
        for trial in event.get("trials") or []:
            if not isinstance(trial, dict):
                continue
            flags = [f for f in trial.get("flags") or [] if isinstance(f, dict)]
            listed = "".join(f"<li><code>{esc(f.get('change'))} {esc(f.get('path'))}</code>: {esc(f.get('reason'))}"
                             "</li>" for f in flags[:FLAGS_SHOWN])
            more = f"<li>… {len(flags) - FLAGS_SHOWN} more in result.json</li>" if len(flags) > FLAGS_SHOWN else ""
            folder = Path(str(trial.get("trial_dir") or ""))
            link = (Raw(f'<a href="{href(record.local(folder), out)}">{esc(trial.get("trial_id"))}</a>')
                    if trial.get("trial_dir") else str(trial.get("trial_id") or ""))
            outcome = "candidate refused (overfit)" if exp in refused and trial.get("agent") == "candidate" else ""
            rows.append([exp if exp else "baseline", event.get("stage") or "", trial.get("agent") or "",
                         trial.get("task") or "", link, Raw(f"<ul>{listed}{more}</ul>"), outcome])
    note = ("Trials whose tamper audit flagged a change the verifier relies on (a command on PATH, the Python "
            "installation, a test framework, /tests, /logs, /solution), read after the agent phase. A candidate "
            "whose own smoke or decision trials carry a flag is never kept; flags on other trials (the incumbent, "
            "held-out runs, spot checks) are evidence only.")
    body = (table(["exp", "stage", "arm", "task", "trial", "flags", "outcome"], rows, numeric=(0,)) if rows
            else "<p>The tamper audit flagged no trial.</p>")
    return section("Tamper flags", note, f'<div class="wide">{body}</div>', "tamper")

"""The experiments of a climb in the report: the table, every experiment in full (collapsed),
and the kept edits (open), each linked to its meta-agent transcript and its trials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meta.decide.records import STATISTIC_NAMES, STEP_NAMES
from meta.ledger.row import ResultRow
from meta.ledger.store import GATE_NAMES
from meta.report.data import RunRecord, short
from meta.report.html import Raw, diff_block, esc, num, section, table
from meta.report.links import experiment_folder, href


def why(record: RunRecord, row: ResultRow) -> str:
    """The reason the gate or the keep rule gave for this experiment's status."""
    if row.status in ("invalid", "crash", "overfit"):
        refused = [g for g in record.gates(row.exp) if not g.get("passed")]
        return str(refused[-1].get("reason") or "") if refused else ""
    if row.status in ("keep", "discard"):
        return str(record.by_exp("decision").get(row.exp, {}).get("reason") or "")
    return ""


def _links(record: RunRecord, row: ResultRow, out: Path, transcripts: dict[int, str]) -> str:
    links = []
    if row.exp in transcripts:
        links.append(f'<a href="{transcripts[row.exp]}">meta-agent</a>')
    folder = experiment_folder(record, row.exp) if row.exp else record.run_dir / "baseline"
    if folder.is_dir():
        links.append(f'<a href="{href(folder, out)}">trials</a>')
    if row.exp:
        links.append(f'<a href="#exp-{row.exp}">diff</a>')
    return " · ".join(links)


def experiments_table(record: RunRecord, out: Path, transcripts: dict[int, str]) -> str:
    rows = []
    for r in record.rows:
        status = Raw(f'<span class="{"keep" if r.status == "keep" else ""}">{esc(r.status)}</span>')
        exp = Raw(f'<a href="#exp-{r.exp}">{r.exp}</a>') if r.exp and r.status != "stop" else r.exp
        rows.append([exp, status, _n(r.train_score), _n(r.delta, signed=True), _p(r.p_or_bound),
                     _n(r.heldout_score), r.passed or "", _usd(r.cost_usd), _tokens(r.tokens),
                     _n(r.minutes, 1), short(r.description, 90), short(why(record, r), 160),
                     Raw(_links(record, r, out, transcripts)) if r.status != "stop" else ""])
    headers = ["exp", "status", "train", "delta", "p / bound", "held-out", "passed", "USD", "tokens", "min",
               "description", "why", "links"]
    note = ("results.tsv as written by the climb (empty cells: does not apply); 'why' is the reason the gate or "
            "the keep rule gave. Train is the candidate's score, or the incumbent's after a keep; held-out is "
            "shown where the incumbent changed. Each experiment links to the meta-agent's conversation that "
            "proposed it, its trial folders and, below, its diff.")
    body = table(headers, rows, numeric=(0, 2, 3, 4, 5, 7, 8, 9))
    return section("All experiments", note, f'<div class="wide">{body}</div>', "experiments")


def _n(value: float | None, digits: int = 3, signed: bool = False) -> str:
    """A number, or an empty cell where it does not apply (as in results.tsv)."""
    return "" if value is None else num(value, digits, signed)


def _usd(value: float | None) -> str:
    return "" if not value else f"{value:.2f}" if value >= 1 else f"{value:.4f}"


def _p(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def _tokens(count: int | None) -> str:
    if not count:
        return ""
    return f"{count / 1e6:.2f}M" if count >= 1_000_000 else f"{count / 1e3:.0f}k" if count >= 1000 else str(count)


def experiment_details(record: RunRecord, row: ResultRow, out: Path, transcripts: dict[int, str]) -> str:
    """Everything about one experiment: proposal, decision, gates, diff, links."""
    proposal = record.by_exp("proposal").get(row.exp, {})
    decision = record.by_exp("decision").get(row.exp)
    links = _links(record, row, out, transcripts).replace(f' · <a href="#exp-{row.exp}">diff</a>', "")
    parts = [(f"<p><b>Hypothesis:</b> {esc(proposal.get('hypothesis') or '–')}<br>"
             f"<b>Failure class:</b> {esc(proposal.get('failure_class') or '–')}<br>"
             f"<b>Targeted tasks:</b> {esc(', '.join(proposal.get('targeted') or []) or '–')}<br>"
             f"<b>Links:</b> {links or '–'}</p>")]
    gates = [[GATE_NAMES.get(str(g.get("gate")), str(g.get("gate"))), "passed" if g.get("passed") else "refused",
              g.get("reason") or "", _judge(g)] for g in record.gates(row.exp)]
    tables = (table(["decision", ""], decision_rows(decision)) if decision else "") + \
        (table(["gate", "verdict", "reason", "reviewer"], gates) if gates else "")
    parts.append(f'<div class="pair">{tables}</div>')
    parts.append(f"<details open><summary>diff of agent.py</summary>{diff_block(record.diff(row.exp))}</details>")
    return "".join(parts)


def decision_rows(decision: dict[str, Any]) -> list[list[Any]]:
    statistic = STATISTIC_NAMES.get(str(decision.get("statistic")), "p-value")
    bound = decision.get("bound")
    return [["verdict", decision.get("verdict")], ["reason", decision.get("reason")],
            ["looks reached", STEP_NAMES.get(str(decision.get("stage")), decision.get("stage"))],
            ["paired delta", f"{num(decision.get('delta'), signed=True)} ± {num(decision.get('delta_se'))}"],
            [statistic, "–" if bound is None else f"{bound:.3g}"], ["trials", decision.get("trials")],
            ["candidate score (selection data)", num(decision.get("candidate_score"))],
            ["reported score (fresh confirmation trials)", num(decision.get("reported_score"))],
            ["change against the baseline (paired, same batch; drift cannot bias it)",
             _versus_baseline(decision.get("change_vs_baseline"))],
            ["simpler than the incumbent", "yes" if decision.get("simpler") else "no"]]


def _versus_baseline(change: Any) -> str:
    """A keep's paired change against the baseline with its 95% interval ('–' for a discard)."""
    if not isinstance(change, dict) or not all(isinstance(change.get(k), (int, float))
                                               for k in ("change", "low", "high")):
        return "–"
    interval = f"{change['change']:+.3f} [{change['low']:+.3f}, {change['high']:+.3f}]"
    return f"{interval} over {change.get('tasks', '?')} tasks"


def _judge(gate: dict[str, Any]) -> str:
    verdict = gate.get("verdict")
    if not isinstance(verdict, dict):
        return ""
    return f"{'worthwhile' if verdict.get('worthwhile') else 'not worthwhile'}: {verdict.get('reason', '')}"


def every_experiment(record: RunRecord, out: Path, transcripts: dict[int, str]) -> str:
    parts = []
    for row in record.experiments:
        if row.status == "baseline":
            continue
        reason = short(why(record, row), 140)
        parts.append(f'<details id="exp-{row.exp}"><summary>exp {row.exp} · {esc(row.status)} · '
                     f"{esc(short(row.description, 100))}{' — ' + esc(reason) if reason else ''}</summary>"
                     f"{experiment_details(record, row, out, transcripts)}</details>")
    return section("Every experiment", "Each experiment's proposal, decision statistics, gate verdicts and diff "
                   "(click to open).", "".join(parts) or "<p>No experiment yet.</p>", "every")


def kept_edits(record: RunRecord, out: Path, transcripts: dict[int, str]) -> str:
    parts = [f"<h3>exp {row.exp}: {esc(row.description)}</h3>{experiment_details(record, row, out, transcripts)}"
             for row in record.rows if row.status == "keep"]
    return section("Kept edits", "Every edit that became the incumbent: what it changed, why, the statistics of "
                   "the keep decision and the verdict of every gate.", "".join(parts) or "<p>No edit was kept.</p>",
                   "kept")

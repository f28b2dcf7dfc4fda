"""The report of one climb: one self-contained HTML file (plus its PNGs).

Built only from the ledger (events.jsonl, results.tsv) and the files it points
at, so it always agrees with the dashboard. Safe to run while the climb runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from meta.report.data import RunRecord, short
from meta.report.failures import failed_trials, group
from meta.report.html import Raw, diff_block, esc, image, num, page, section, table
from meta.report.series import running_best, spend_over_time, task_heatmap, time_per_stage, trials_per_experiment

if TYPE_CHECKING:
    from meta.report.charts import Chart

REPORT_FILE = "report.html"


@dataclass(frozen=True)
class Report:
    """A written report: the HTML file and the charts beside it."""

    path: Path
    charts: dict[str, Chart]


def write_run_report(run_dir: Path, out: Path | None = None) -> Report:
    """Write ``report.html`` and ``report-*.png`` for one climb (into ``out``, default the run folder)."""
    record = RunRecord.load(run_dir)
    out = Path(out or record.run_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    charts = run_charts(record, out)
    sections = run_sections(record, charts)
    path = out / REPORT_FILE
    path.write_text(page(f"Climb report: {record.run_dir.name}", _subtitle(record), sections), encoding="utf-8")
    return Report(path, charts)


def run_charts(record: RunRecord, out: Path, prefix: str = "report-") -> dict[str, Chart]:
    # matplotlib loads here, not at import time: every `climb` command imports this module.
    from meta.report.charts import (
        heatmap_chart,
        running_best_chart,
        spend_chart,
        stage_time_chart,
        trials_chart,
    )

    return {
        "running_best": running_best_chart(running_best(record), out / f"{prefix}running_best.png"),
        "heatmap": heatmap_chart(task_heatmap(record), out / f"{prefix}heatmap.png"),
        "spend": spend_chart(spend_over_time(record), out / f"{prefix}spend.png"),
        "trials": trials_chart(trials_per_experiment(record), out / f"{prefix}trials.png"),
        "stage_time": stage_time_chart(time_per_stage(record), out / f"{prefix}stage_time.png"),
    }


def _subtitle(record: RunRecord) -> str:
    cfg = record.config
    train, heldout = record.split
    stop = record.stop_row
    parts = [f"meta model <b>{esc(cfg.get('meta_model', '?'))}</b>",
             f"task model <b>{esc(cfg.get('task_model') or 'agent.py MODEL')}</b>",
             f"{len(train)} train / {len(heldout)} held-out tasks",
             f"{len(record.experiments) - 1 if record.experiments else 0} experiments",
             "ended: " + esc(stop.description) if stop else "<b>still running</b> (or stopped without a stop row)"]
    return " · ".join(parts)


def run_sections(record: RunRecord, charts: dict[str, Chart]) -> list[str]:
    return [_summary(record), _running_best(record, charts), _experiments(record),
            section("Task × experiment", "Mean reward of each candidate on each train task, from the decision "
                    "that measured it. Hatched grey: not evaluated (the keep rule stopped early, or a gate "
                    "refused the edit before any trial); red: failed; outlined: kept.", image(charts["heatmap"]),
                    "heatmap"),
            _kept_edits(record), _resources(charts), _failures(record)]


def _summary(record: RunRecord) -> str:
    final = record.final_table or {}
    rows = []
    for split in ("heldout", "train"):
        entry = final.get(split)
        if isinstance(entry, dict) and "error" not in entry:
            cell = lambda a: f"{num(a['mean'])} ± {num(a.get('se'))} ({a.get('trials', 0)} trials)"
            change = entry.get("change_pct")
            rows.append([split, cell(entry["baseline"]), cell(entry["final"]),
                         "–" if change is None else f"{change:+.1f}%"])
    kept = sum(r.status == "keep" for r in record.rows)
    body = f"<p>{kept} edit(s) kept out of {max(len(record.experiments) - 1, 0)} experiments.</p>"
    if rows:
        body += table(["split", "baseline", "final", "change"], rows)
    elif final.get("note"):
        body += f"<p>{esc(final['note'])}</p>"
    else:
        body += "<p class=\"note\">No final head-to-head yet.</p>"
    return section("Result", "The baseline and the final incumbent, run head to head in the same batches at "
                   "the end of the climb (mean of task means ± standard error).", body, "result")


def _running_best(record: RunRecord, charts: dict[str, Chart]) -> str:
    return section("Running best", "Each dot is one candidate's train score (selection data: it may flatter "
                   "the candidate). Green dots were kept, numbered by experiment and described in the key under "
                   "the chart; the blue line is the incumbent's honest train score, the dashed orange line its "
                   "held-out score.",
                   image(charts["running_best"]), "running-best")


def _experiments(record: RunRecord) -> str:
    decisions = record.by_exp("decision")
    rows = [[r.exp, Raw(f'<span class="{"keep" if r.status == "keep" else ""}">{esc(r.status)}</span>'),
             num(r.train_score), num(r.delta, signed=True), num(r.p_or_bound, 4), num(r.heldout_score),
             r.passed or "–", num(r.cost_usd, 4), num(r.minutes, 2), r.description, _why(record, r, decisions)]
            for r in record.rows]
    headers = ["exp", "status", "train", "delta", "p / bound", "held-out", "passed", "USD", "min", "description",
               "why"]
    return section("All experiments", "results.tsv as written by the climb; 'why' is the reason the gate or the "
                   "keep rule gave (events.jsonl). Train is the candidate's score, or the incumbent's after a "
                   "keep.", table(headers, rows, numeric=(0, 2, 3, 4, 5, 7, 8)), "experiments")


def _why(record: RunRecord, row, decisions: dict) -> str:
    if row.status in ("invalid", "crash", "overfit"):
        refused = [g for g in record.gates(row.exp) if not g.get("passed")]
        return short(refused[-1].get("reason") or "", 220) if refused else ""
    if row.status in ("keep", "discard"):
        return short(decisions.get(row.exp, {}).get("reason") or "", 220)
    return ""


def _kept_edits(record: RunRecord) -> str:
    proposals, decisions = record.by_exp("proposal"), record.by_exp("decision")
    parts = []
    for row in (r for r in record.rows if r.status == "keep"):
        proposal, decision = proposals.get(row.exp, {}), decisions.get(row.exp, {})
        stats = [["verdict", decision.get("verdict")], ["reason", decision.get("reason")],
                 ["stage reached", decision.get("stage")],
                 ["delta (paired)", f"{num(decision.get('delta'), signed=True)} ± {num(decision.get('delta_se'))}"],
                 [decision.get("statistic") or "p", num(decision.get("bound"), 4)],
                 ["trials", decision.get("trials")], ["candidate score", num(decision.get("candidate_score"))],
                 ["reported score", num(decision.get("reported_score"))], ["simpler", decision.get("simpler")]]
        gates = [[g.get("gate"), "passed" if g.get("passed") else "refused",
                  g.get("reason") or "", _judge(g)] for g in record.gates(row.exp)]
        parts.append(
            f"<h3>exp {row.exp}: {esc(row.description)}</h3>"
            f"<p><b>Hypothesis:</b> {esc(proposal.get('hypothesis') or '–')}<br>"
            f"<b>Failure class:</b> {esc(proposal.get('failure_class') or '–')}<br>"
            f"<b>Targeted tasks:</b> {esc(', '.join(proposal.get('targeted') or []) or '–')}</p>"
            + table(["decision", ""], stats) + table(["gate", "verdict", "reason", "reviewer"], gates)
            + f"<details open><summary>diff of agent.py</summary>{diff_block(record.diff(row.exp))}</details>")
    body = "".join(parts) or "<p>No edit was kept.</p>"
    return section("Kept edits", "Every edit that became the incumbent: what it changed, why, the statistics of "
                   "the keep decision and the verdict of every gate.", body, "kept")


def _judge(gate: dict) -> str:
    verdict = gate.get("verdict")
    if not isinstance(verdict, dict):
        return ""
    return f"{'worthwhile' if verdict.get('worthwhile') else 'not worthwhile'}: {verdict.get('reason', '')}"


def _resources(charts: dict[str, Chart]) -> str:
    return section("Spend, trials and time", "Cumulative spend per role (meta-agent, task agent, judge), the "
                   "trials each experiment ran by stage, and where the wall-clock time went.",
                   image(charts["spend"]) + image(charts["trials"]) + image(charts["stage_time"]), "resources")


def _failures(record: RunRecord) -> str:
    failed, total = failed_trials(record)
    version = "the baseline" if record.incumbent_exp == 0 else f"the incumbent (exp {record.incumbent_exp})"
    if not total:
        return section("What still fails", f"No train trials of {version} were found.", "", "failures")
    head = f"<p>{len(failed)} of {total} train trials of {version} scored below 1.</p>"
    tables = ""
    for attribute, title in (("verifier_tail", "By the verifier's last lines"),
                             ("final_message", "By the agent's final message")):
        groups = group(failed, attribute)
        rows = [[g.count, ", ".join(g.tasks), Raw(f"<pre>{esc(g.example)}</pre>")] for g in groups]
        tables += f"<h3>{title}</h3>" + table(["trials", "tasks", "example"], rows, numeric=(0,))
    return section("What still fails", "Failed train trials of the current incumbent, grouped by how they ended "
                   "(numbers are ignored when grouping). Held-out trials are never shown.",
                   head + (tables if failed else ""), "failures")


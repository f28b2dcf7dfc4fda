"""The report of one climb: one self-contained HTML file (plus its PNGs and a page per meta-agent
conversation in ``transcripts/``).

Built only from the ledger (events.jsonl, results.tsv) and the files it points at, so it always
agrees with the dashboard. Safe to run while the climb runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from meta.ledger.spend import tokens_text
from meta.report.data import RunRecord
from meta.report.experiments import every_experiment, experiments_table, kept_edits
from meta.report.failures import failed_trials, group
from meta.report.headline import headline, result_section
from meta.report.html import Raw, esc, image, linked_image, num, page, section, table
from meta.report.links import candidate_trials, href
from meta.report.tamper import tamper_section
from meta.report.series import progress, running_best, spend_over_time, task_heatmap, time_per_stage, \
    trials_per_experiment
from meta.report.transcripts import write_transcripts

if TYPE_CHECKING:
    from meta.report.charts import Chart

REPORT_FILE = "report.html"
FAILED_TASKS_SHOWN = 12
"""Tasks named per failure group (a 200-task benchmark would list pages of them)."""


@dataclass(frozen=True)
class Report:
    """A written report: the HTML file and the charts beside it."""

    path: Path
    charts: dict[str, Chart]


def write_run_report(run_dir: Path, out: Path | None = None) -> Report:
    """Write ``report.html``, ``report-*.png`` and ``transcripts/`` for one climb (into ``out``,
    default the run folder)."""
    record = RunRecord.load(run_dir)
    out = Path(out or record.run_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    charts = run_charts(record, out)
    transcripts = write_transcripts(record, out)
    sections = run_sections(record, charts, out, transcripts)
    path = out / REPORT_FILE
    path.write_text(page(f"Climb report: {record.run_dir.name}", _subtitle(record), sections, top=headline(record)),
                    encoding="utf-8")
    return Report(path, charts)


def run_charts(record: RunRecord, out: Path, prefix: str = "report-") -> dict[str, Chart]:
    # matplotlib loads here, not at import time: every `climb` command imports this module.
    from meta.report.charts import progress_chart, running_best_chart, spend_chart, stage_time_chart, trials_chart
    from meta.report.heatmap import heatmap_chart

    return {
        "running_best": running_best_chart(running_best(record), out / f"{prefix}running_best.png"),
        "progress": progress_chart(progress(record), out / f"{prefix}progress.png"),
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
             "ended: " + esc(stop.description) if stop else "<b>still running</b> (or stopped without a stop row)"]
    return " · ".join(parts)


def run_sections(record: RunRecord, charts: dict[str, Chart], out: Path, transcripts: dict[int, str]) -> list[str]:
    return [result_section(record), _running_best(charts), experiments_table(record, out, transcripts),
            tamper_section(record, out), _heatmap(record, charts["heatmap"], out), kept_edits(record, out, transcripts),
            every_experiment(record, out, transcripts), _resources(record, charts), _failures(record, out)]


def _running_best(charts: dict[str, Chart]) -> str:
    return section("Running best", "Each dot is one candidate's train score (selection data: it may flatter "
                   "the candidate). Green dots were kept, numbered by experiment and described in the key under "
                   "the chart; the blue line is the incumbent's honest train score, the dashed orange line its "
                   "held-out score. Below, the same against hours and against money spent.",
                   image(charts["running_best"]) + image(charts["progress"]), "running-best")


def _heatmap(record: RunRecord, chart: Chart, out: Path) -> str:
    trials = candidate_trials(record)
    tasks, exps, cells = chart.data["tasks"], chart.data["exps"], chart.data["cells"]
    boxes = []
    for i, j, left, top, right, bottom in chart.data["boxes"]:
        found = trials.get((exps[j], tasks[i]), [])
        if found:
            value = "not evaluated" if cells[i][j] is None else f"mean reward {cells[i][j]:.2f}"
            title = f"{tasks[i]} · exp {exps[j]}: {value}, {len(found)} trial(s); opens the first"
            boxes.append((href(found[0], out), title, left, top, right, bottom))
    return section("Task × experiment", "Mean reward of each candidate on each train task, from the decision "
                   "that measured it. Hatched grey: not evaluated (the keep rule stopped early, or a gate refused "
                   "the edit before any trial); red: failed; outlined: kept. Click a cell for its trial folder.",
                   linked_image(chart, boxes), "heatmap")


def _resources(record: RunRecord, charts: dict[str, Chart]) -> str:
    spends = record.of_kind("spend")
    by_role = (spends[-1].get("by_role") or {}) if spends else {}
    totals = table(["role", "USD", "tokens", "of which thinking", "calls"],
                   [[role, num(float(s.get("usd", 0.0)), 4), tokens_text(s.get("tokens", 0)),
                     tokens_text(s.get("reasoning_tokens", 0)), s.get("calls", 0)]
                    for role, s in sorted(by_role.items())],
                   numeric=(1, 2, 3, 4)) if by_role else ""
    return section("Spend, trials and time", "Spend per role (meta-agent, task agent, reviewer) in dollars and "
                   "tokens (a model priced at 0, such as a local one, still shows its tokens), over time; the "
                   "trials each experiment ran by stage; and where the wall-clock time went.",
                   totals + image(charts["spend"]) + image(charts["trials"]) + image(charts["stage_time"]),
                   "resources")


def _failures(record: RunRecord, out: Path) -> str:
    failed, total = failed_trials(record)
    version = "the baseline" if record.incumbent_exp == 0 else f"the incumbent (exp {record.incumbent_exp})"
    if not total:
        return section("What still fails", f"No train trials of {version} were found.", "", "failures")
    head = f"<p>{len(failed)} of {total} train trials of {version} scored below 1.</p>"
    tables = ""
    for attribute, title in (("verifier_tail", "By the verifier's last lines"),
                             ("final_message", "By the agent's final message")):
        rows = []
        for g in group(failed, attribute):
            example = next(f for f in failed if f.task in g.tasks and getattr(f, attribute) == g.example)
            named = ", ".join(g.tasks[:FAILED_TASKS_SHOWN])
            more = f" and {len(g.tasks) - FAILED_TASKS_SHOWN} more" if len(g.tasks) > FAILED_TASKS_SHOWN else ""
            rows.append([g.count, named + more, Raw(f"<pre>{esc(g.example)}</pre>"
                                                    f'<a href="{href(example.trial_dir, out)}">a trial</a>')])
        tables += f"<h3>{title}</h3>" + table(["trials", "tasks", "example"], rows, numeric=(0,))
    return section("What still fails", "Failed train trials of the current incumbent, grouped by how they ended "
                   "(numbers are ignored when grouping). Held-out trials are never shown.",
                   head + (tables if failed else ""), "failures")

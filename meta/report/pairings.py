"""The pairings section of the HTML report: the matrix, same vs cross family, transfer, and each cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Rectangle

from meta.ledger.spend import tokens_text
from meta.pairings.study import PairingsRun
from meta.report.matrix import collect
from meta.report.run import REPORT_FILE, Report, write_run_report
from meta.report.charts import MAX_WIDTH, NOT_RUN, Chart, save_chart
from meta.report.data import mean_se
from meta.report.html import Raw, esc, image, num, page, pm, section, table


def write_pairings_report(folder: Path, out: Path | None = None) -> Report:
    """Write the pairings report (and each started cell's own report in its run folder)."""
    run = PairingsRun.open(folder)
    out = Path(out or run.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = collect(run)
    charts = {"lift": lift_chart(data["matrix"], data["labels"], out / "report-lift.png")}
    cell_reports: dict[str, Report] = {}
    for cell in data["cells"]:
        if cell["status"] != "not started":
            cell_reports[cell["cell"]] = write_run_report(run.out / cell["run_dir"])
    sections = pairings_sections(data, charts, cell_reports, out)
    path = out / REPORT_FILE
    cfg = data["config"]
    stop = cfg["climb"]["stop"]
    budget = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in stop.items() if v is not None)
    subtitle = (f"{len(cfg['meta_models'])} meta × {len(cfg['task_models'])} task models × {cfg['seeds']} "
                f"seed(s); budget per cell: {esc(budget)}; {sum(c['status'] == 'done' for c in data['cells'])} "
                f"of {len(data['cells'])} cells finished; {data['cost_usd']:.2f} USD and "
                f"{tokens_text(data.get('tokens', 0))} tokens spent")
    path.write_text(page(f"Pairings report: {run.out.name}", subtitle, sections), encoding="utf-8")
    return Report(path, {**charts, **{f"{name}/running_best": r.charts["running_best"]
                                      for name, r in cell_reports.items()}})


def lift_chart(rows: list[dict[str, Any]], names: dict[str, str], path: Path) -> Chart:
    """The matrix itself: held-out lift per (meta, task) pairing, mean ± standard error over seeds.

    Same-family pairings are outlined; a pairing without a finished cell is hatched.
    """
    metas, tasks = list(dict.fromkeys(r["meta"] for r in rows)), list(dict.fromkeys(r["task"] for r in rows))
    at = {(r["meta"], r["task"]): r for r in rows}
    values = np.array([[np.nan if at[m, t]["lift"] is None else at[m, t]["lift"] for t in tasks] for m in metas],
                      dtype=float).reshape(len(metas), len(tasks))
    finite = values[np.isfinite(values)]
    reach = max(0.05, float(np.abs(finite).max())) if finite.size else 1.0
    fig, ax = plt.subplots(figsize=(min(max(5.5, 1.7 * len(tasks) + 3), MAX_WIDTH),
                                    max(2.8, 0.85 * len(metas) + 1.9)))
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad=NOT_RUN)
    image_ = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=-reach, vmax=reach, aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        row = at[metas[i], tasks[j]]
        if np.isnan(value):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#b5b5b5",
                                   linewidth=0))
            text = "no finished\ncell"
        else:
            text = f"{value:+.2f}" + ("" if row["lift_se"] is None else f"\n± {row['lift_se']:.2f}")
            text += f"\n{row['done']} seed{'s' if row['done'] != 1 else ''}"
        dark = not np.isnan(value) and abs(value) > 0.6 * reach
        ax.text(j, i, text, ha="center", va="center", fontsize=8.5, color="white" if dark else "black")
        if row["same_family"]:
            ax.add_patch(Rectangle((j - 0.48, i - 0.48), 0.96, 0.96, fill=False, edgecolor="black", linewidth=2.5))
    tilt = len(tasks) > 4
    ax.set_xticks(range(len(tasks)), [names[t] for t in tasks], fontsize=9, rotation=25 if tilt else 0,
                  ha="right" if tilt else "center", rotation_mode="anchor")
    ax.set_yticks(range(len(metas)), [names[m] for m in metas], fontsize=9)
    ax.set_xlabel("task model")
    ax.set_ylabel("meta model")
    fig.colorbar(image_, ax=ax, label="held-out lift (final − baseline)", fraction=0.05, pad=0.03)
    fig.legend(handles=[Patch(facecolor="none", edgecolor="black", linewidth=2.5, label="same family"),
                        Patch(facecolor=NOT_RUN, hatch="///", edgecolor="#b5b5b5", label="no finished cell")],
               loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False, fontsize=9)
    ax.set_title("Held-out lift per pairing (mean ± standard error over seeds)")
    lifts = {f"{names[m]} -> {names[t]}": at[m, t]["lift"] for m in metas for t in tasks}
    return save_chart(fig, path, "Lift per pairing", {"lift": lifts})


def pairings_sections(data: dict[str, Any], charts: dict[str, Chart], cell_reports: dict[str, Report],
                      out: Path) -> list[str]:
    families, label = data["families"], data["labels"]
    models = table(["label", "model", "role", "family"],
                   [[label[m], m, "meta", families[m]] for m in data["config"]["meta_models"]]
                   + [[label[m], m, "task", families[m]] for m in data["config"]["task_models"]])
    matrix_rows = [[label[r["meta"]], label[r["task"]], "same" if r["same_family"] else "cross",
                    f"{r['done']}/{r['seeds']}",
                    num(r["baseline_train"]), num(r["final_train"]), num(r["baseline_heldout"]),
                    num(r["final_heldout"]),
                    pm(r["lift"], r["lift_se"], signed=True), r["experiments"], r["keeps"], num(r["cost_usd"], 2),
                    tokens_text(r.get("tokens", 0))]
                   for r in data["matrix"]]
    matrix_html = table(["meta model", "task model", "family", "seeds done", "baseline train", "final train",
                         "baseline held-out", "final held-out", "lift", "experiments", "keeps", "USD", "tokens"],
                        matrix_rows, numeric=(4, 5, 6, 7, 8, 9, 10, 11, 12))
    fam = data["family_summary"]
    family_html = table(["pairings", "cells", "held-out lift"], [
        ["same family", fam["same_family"]["cells"], pm(fam["same_family"]["lift"], fam["same_family"]["lift_se"],
                                                         signed=True)],
        ["cross family", fam["cross_family"]["cells"], pm(fam["cross_family"]["lift"],
                                                           fam["cross_family"]["lift_se"], signed=True)],
        ["difference", "", pm(fam["difference"]["lift"], fam["difference"]["lift_se"], signed=True)]],
        numeric=(1, 2))
    errors = "".join(f"<p class=\"bad\">{esc(cell)}: {esc(error)}</p>" for cell, error in data["errors"].items())
    return [
        section("Models", "Families say who made a model; same-family cells pair a meta-agent with a task "
                "model of its own maker. Tables below name models by their label.", models + errors, "models"),
        section("Matrix", "One row per (meta, task) pairing. Held-out scores are the final head-to-head of the "
                "baseline and the final agent; lift is their difference, mean ± standard error over seeds.",
                matrix_html + image(charts["lift"]), "matrix"),
        section("Same family vs cross family", "Does a meta-agent improve task agents of its own family more? "
                "Each finished cell is one observation of lift.", family_html, "families"),
        _transfer(data, label), _cells(data, cell_reports, out)]


def _transfer(data: dict[str, Any], label: dict[str, str]) -> str:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in data["transfer"]:
        groups.setdefault((row["meta"], row["source_task"], row["target_task"]), []).append(row)
    rows = []
    for (meta, source, target), members in groups.items():
        score, score_se = mean_se([m["score"] for m in members if m["score"] is not None])
        lift, lift_se = mean_se([m["lift"] for m in members if m["lift"] is not None])
        own = " (own model)" if source == target else ""
        rows.append([label[meta], label[source], label[target] + own, pm(score, score_se), num(members[0]["baseline"]),
                     pm(lift, lift_se, signed=True)])
    body = table(["meta model", "climbed for", "run with", "held-out score", "baseline with that model",
                  "lift"], rows, numeric=(3, 4, 5)) if rows else "<p>No finished cell yet.</p>"
    return section("Transfer", "Each cell's final agent.py run on held-out with every task model. The own-model "
                   "row is the cell's final held-out score; the others say whether the edits carry over to a "
                   "model they were not tuned for.", body, "transfer")


def _cells(data: dict[str, Any], cell_reports: dict[str, Report], out: Path) -> str:
    rows, charts = [], ""
    for cell in data["cells"]:
        report = cell_reports.get(cell["cell"])
        link = Raw(f'<a href="{esc(_relative(report.path, out))}">{esc(cell["cell"])}</a>') if report \
            else cell["cell"]
        rows.append([link, cell["seed"], cell["status"], num(cell.get("baseline_train")),
                     num(cell.get("final_train")), num(cell.get("baseline_heldout")), num(cell.get("final_heldout")),
                     num(cell.get("lift"), signed=True), cell.get("experiments", 0), cell.get("keeps", 0),
                     num(cell.get("cost_usd"), 2), tokens_text(cell.get("tokens", 0)),
                     cell.get("error") or cell.get("stop_reason") or ""])
        if report:
            charts += f"<h3>{esc(cell['cell'])}</h3>" + image(report.charts["running_best"])
    body = table(["cell", "seed", "status", "baseline train", "final train", "baseline held-out",
                  "final held-out", "lift", "experiments", "keeps", "USD", "tokens", "stopped because"], rows,
                 numeric=(1, 3, 4, 5, 6, 7, 8, 9, 10, 11))
    return section("Cells", "Every climb of the study; each links to its own full report.",
                   body + f"<details><summary>running-best chart of every cell</summary>{charts}</details>",
                   "cells")


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_uri()

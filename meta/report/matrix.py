"""The pairings matrix: per cell, per (meta, task) pair over seeds, same vs cross family, transfer.

Cell numbers come from each cell's ledger (so they agree with its dashboard and
report); transfer numbers from the pairings state. ``pairings.json`` holds them all.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from meta.ledger.spend import tokens_text
from meta.pairings.study import RESULT_FILE, PairingsRun
from meta.pairings.config import Cell
from meta.report.data import RunRecord, mean, mean_se
from durable import write_json_atomic

RESULT_VERSION = 1


def cell_summary(run: PairingsRun, cell: Cell) -> dict[str, Any]:
    """One cell's numbers, from its ledger.

    Held-out scores come from the final head-to-head when it ran (both agents in
    the same batches); without a kept edit the final agent is the baseline and
    its lift is 0.
    """
    config = run.config
    summary: dict[str, Any] = {
        "cell": cell.name, "meta": cell.meta, "task": cell.task, "seed": cell.seed,
        "meta_family": config.family(cell.meta), "task_family": config.family(cell.task),
        "same_family": config.family(cell.meta) == config.family(cell.task),
        "run_dir": str(run.cell_dir(cell).relative_to(run.out)), "status": "not started"}
    try:
        record = RunRecord.load(run.cell_dir(cell))
    except FileNotFoundError:
        return summary
    rows = record.experiments
    base = next((r for r in rows if r.status == "baseline"), None)
    summary["status"] = "done" if record.finished else "running"
    summary["error"] = run.errors.get(cell.name)
    final = record.final_table or {}
    heldout = final.get("heldout") if isinstance(final.get("heldout"), dict) else None
    base_held = base.heldout_score if base else None
    final_held = None
    if heldout and "error" not in heldout:
        base_held, final_held = heldout["baseline"]["mean"], heldout["final"]["mean"]
    elif record.finished:
        final_held = (record.stop_row.heldout_score if record.stop_row else None)
        if record.incumbent_exp == 0:
            final_held = base_held
    stop = record.stop_row
    spends = record.of_kind("spend")
    summary.update({
        "baseline_train": base.train_score if base else None, "baseline_heldout": base_held,
        "final_train": stop.train_score if stop else None, "final_heldout": final_held,
        "lift": None if final_held is None or base_held is None else final_held - base_held,
        "experiments": sum(r.status != "baseline" for r in rows), "keeps": sum(r.status == "keep" for r in rows),
        "cost_usd": float(spends[-1].get("total_usd", 0.0)) if spends else sum(r.cost_usd or 0.0 for r in rows),
        "tokens": (sum(int(s.get("tokens", 0)) for s in (spends[-1].get("by_role") or {}).values()) if spends
                   else sum(r.tokens or 0 for r in rows)),
        "final_agent": _final_agent(run, cell, record), "stop_reason": stop.description if stop else None})
    return summary


def _final_agent(run: PairingsRun, cell: Cell, record: RunRecord) -> str | None:
    incumbent = next((r for r in reversed(record.rows) if r.status in ("baseline", "keep")), None)
    if incumbent is None or not incumbent.commit:
        return None
    # results.tsv holds short hashes; the snapshot is named by the full one.
    found = sorted((run.cell_dir(cell) / "agents").glob(f"{incumbent.commit}*.py"))
    return str(found[0].relative_to(run.out)) if found else None


def matrix(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (meta, task) pair: finished seeds, mean scores, lift mean ± standard error across seeds."""
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for cell in cells:
        pairs.setdefault((cell["meta"], cell["task"]), []).append(cell)
    out = []
    for (meta, task), members in pairs.items():
        done = [c for c in members if c["status"] == "done"]
        lift, lift_se = mean_se([c["lift"] for c in done if c["lift"] is not None])

        def pick(key: str, done: list[dict[str, Any]] = done) -> float | None:
            return mean([c[key] for c in done if c.get(key) is not None])

        out.append({"meta": meta, "task": task, "same_family": members[0]["same_family"],
                    "seeds": len(members), "done": len(done), "baseline_heldout": pick("baseline_heldout"),
                    "baseline_train": pick("baseline_train"), "final_train": pick("final_train"),
                    "final_heldout": pick("final_heldout"),
                    "lift": lift, "lift_se": lift_se, "experiments": sum(c.get("experiments", 0) for c in members),
                    "keeps": sum(c.get("keeps", 0) for c in members),
                    "cost_usd": round(sum(c.get("cost_usd", 0.0) for c in members), 6),
                    "tokens": sum(c.get("tokens", 0) for c in members)})
    return out


def family_summary(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Lift of same-family cells against cross-family cells (each cell one observation)."""
    summary: dict[str, Any] = {}
    for key, same in (("same_family", True), ("cross_family", False)):
        lifts = [c["lift"] for c in cells if c["status"] == "done" and c["same_family"] == same
                 and c.get("lift") is not None]
        m, se = mean_se(lifts)
        summary[key] = {"cells": len(lifts), "lift": m, "lift_se": se}
    a, b = summary["same_family"], summary["cross_family"]
    difference = None if a["lift"] is None or b["lift"] is None else a["lift"] - b["lift"]
    se = None if a["lift_se"] is None or b["lift_se"] is None else (a["lift_se"] ** 2 + b["lift_se"] ** 2) ** 0.5
    summary["difference"] = {"lift": difference, "lift_se": se}
    return summary


def transfer_table(run: PairingsRun, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each cell's final agent with each task model: its own (the cell's final held-out) and the others.

    ``baseline`` is the unedited agent with that task model on held-out (mean over
    the cells climbing for that model), so ``lift`` says whether the edits carry over.
    """
    baseline = {}
    for task in run.config.task_models:
        baseline[task] = mean([c["baseline_heldout"] for c in cells
                               if c["task"] == task and c.get("baseline_heldout") is not None])
    rows = []
    for cell in (c for c in cells if c["status"] == "done"):
        for task in run.config.task_models:
            result = {} if task == cell["task"] else run.transfer.get(f"{cell['cell']}|{run.labels[task]}") or {}
            score = cell.get("final_heldout") if task == cell["task"] else result.get("score")
            rows.append({"cell": cell["cell"], "meta": cell["meta"], "source_task": cell["task"],
                         "target_task": task, "own": task == cell["task"], "score": score,
                         "trials": result.get("trials"), "cost_usd": result.get("cost_usd"),
                         "tokens": result.get("tokens"),
                         "baseline": baseline[task],
                         "lift": None if score is None or baseline[task] is None else score - baseline[task]})
    return rows


def collect(run: PairingsRun) -> dict[str, Any]:
    """Everything pairings.json holds; ``cost_usd`` is the whole study's spend (climbs and transfer runs)."""
    cells = [cell_summary(run, cell) for cell in run.config.cells()]
    families = {m: run.config.family(m) for m in [*run.config.meta_models, *run.config.task_models]}
    transfer = transfer_table(run, cells)
    cost = sum(c.get("cost_usd", 0.0) for c in cells) + sum(t["cost_usd"] or 0.0 for t in transfer)
    tokens = sum(c.get("tokens", 0) for c in cells) + sum(t["tokens"] or 0 for t in transfer)
    return {"version": RESULT_VERSION, "run_id": run.run_id, "config": run.config.model_dump(mode="json"),
            "families": families, "labels": run.labels, "cells": cells, "matrix": matrix(cells),
            "family_summary": family_summary(cells), "transfer": transfer, "cost_usd": round(cost, 6),
            "tokens": tokens,
            "errors": dict(run.errors)}


def write_results(run: PairingsRun) -> dict[str, Any]:
    data = collect(run)
    write_json_atomic(run.out / RESULT_FILE, data)
    return data


def _fmt(value: float | None, se: float | None = None, signed: bool = False) -> str:
    if value is None:
        return "-"
    text = f"{value:+.3f}" if signed else f"{value:.3f}"
    return text if se is None else f"{text}±{se:.3f}"


def print_tables(data: dict[str, Any], console: Console) -> None:
    """The matrix, the family summary and the transfer table, for the terminal (models by short label).

    Matrix columns: held-out score of the baseline and the final agent, their train
    scores, and keeps out of experiments, all cells of the pair together.
    """
    label = data["labels"]
    table = Table(title="held-out lift = final - baseline (mean ± s.e. over seeds)", box=box.SIMPLE_HEAD,
                  padding=(0, 0), pad_edge=False)
    for name in ("meta", "task", "family", "seeds", "base", "final", "lift", "train base→final", "keeps", "USD",
                 "tokens"):
        table.add_column(name, justify="left" if name in ("meta", "task", "family") else "right")
    for row in data["matrix"]:
        table.add_row(label[row["meta"]], label[row["task"]], "same" if row["same_family"] else "cross",
                      f"{row['done']}/{row['seeds']}", _fmt(row["baseline_heldout"]), _fmt(row["final_heldout"]),
                      _fmt(row["lift"], row["lift_se"], signed=True),
                      f"{_fmt(row['baseline_train'])}→{_fmt(row['final_train'])}",
                      f"{row['keeps']}/{row['experiments']}", f"{row['cost_usd']:.2f}",
                      tokens_text(row.get("tokens", 0)))
    console.print(table)
    fam = data["family_summary"]
    for key, name in (("same_family", "same family: "), ("cross_family", "cross family:")):
        console.print(f"{name} lift {_fmt(fam[key]['lift'], fam[key]['lift_se'], True)}  ({fam[key]['cells']} cells)")
    console.print(f"difference:   lift {_fmt(fam['difference']['lift'], fam['difference']['lift_se'], True)}")
    if any(not row["own"] for row in data["transfer"]):
        transfer = Table(title="transfer: each cell's final agent.py, held-out, with each task model",
                         box=box.SIMPLE_HEAD, padding=(0, 0), pad_edge=False)
        for name in ("cell", "run with", "score", "baseline", "lift"):
            transfer.add_column(name, justify="left" if name in ("cell", "run with") else "right")
        for row in data["transfer"]:
            own = " (own)" if row["own"] else ""
            transfer.add_row(row["cell"], label[row["target_task"]] + own, _fmt(row["score"]),
                             _fmt(row["baseline"]), _fmt(row["lift"], signed=True))
        console.print(transfer)
    console.print(f"spent {data['cost_usd']:.2f} USD and {tokens_text(data.get('tokens', 0))} tokens in all "
                  "(climbs and transfer runs)")
    for cell, error in data.get("errors", {}).items():
        console.print(f"[red]{cell}: {error}[/red]")

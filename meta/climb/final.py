"""The end of a climb: baseline and final incumbent head to head, mean ± standard error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meta.climb.evaluation import InfraBatchError, mean_of_task_means, per_task_scores
from meta.climb.handle import ClimbHandle
from meta.decide.summary import suite_se
from sandbox.environment import InfraError
from models import ModelError


async def final_confirmation(climb: ClimbHandle) -> dict[str, Any]:
    """Run both versions in the same batches; returns the table as data (also in the ledger)."""
    ctx, cfg, state = climb.ctx, climb.config, climb.state
    base, final = state.baseline, state.incumbent
    if base is None or final is None:
        return {"note": "no baseline was measured"}
    table: dict[str, Any] = {"baseline_commit": base.commit, "final_commit": final.commit}
    if base.commit == final.commit:
        table["note"] = "no edit was kept: the final agent is the baseline"
        return table
    agents = {"baseline": ctx.evaluator.agent(Path(base.agent_file), "baseline"),
              "final": ctx.evaluator.agent(Path(final.agent_file), "final")}
    splits = [("heldout", ctx.heldout, cfg.final_heldout_repeats), ("train", ctx.train, cfg.final_train_repeats)]
    for split, tasks, repeats in splits:
        if not tasks or repeats < 1:
            continue
        plan = [(agents[arm], t, repeats, arm) for t in tasks for arm in ("baseline", "final")]
        try:
            results = await ctx.evaluator.run(plan, ctx.run_dir / "final" / split, exp=state.exp, stage="final")
        except (InfraBatchError, InfraError, ModelError) as exc:
            table[split] = {"error": f"could not run: {exc}"}
            continue
        row: dict[str, Any] = {}
        for arm in ("baseline", "final"):
            per_task = per_task_scores([r for r in results if r.agent == arm])
            row[arm] = {"mean": mean_of_task_means(per_task), "se": suite_se(per_task),
                        "trials": sum(len(v) for v in per_task.values())}
        b, f = row["baseline"]["mean"], row["final"]["mean"]
        row["change"] = None if b is None or f is None else round(f - b, 4)
        row["change_pct"] = None if not b or f is None else round(100 * (f - b) / b, 1)
        table[split] = row
    return table


def format_table(table: dict[str, Any]) -> str:
    """The table users know from write-ups: baseline, final, change, on train and held-out."""
    if "note" in table and not any(k in table for k in ("train", "heldout")):
        return table["note"]
    lines = [f"{'':10}{'baseline':>18}{'final':>18}{'change':>10}"]
    for split in ("train", "heldout"):
        row = table.get(split)
        if not row:
            continue
        if "error" in row:
            lines.append(f"{split:10}{row['error']}")
            continue
        cell = lambda a: "-" if a["mean"] is None else (  # noqa: E731
            f"{a['mean']:.3f} ± " + ("n/a" if a["se"] is None else f"{a['se']:.3f}"))
        if row["change_pct"] is not None:
            change = f"{row['change_pct']:+.1f}%"
        else:  # from a baseline of 0 a percentage means nothing: show the absolute change
            change = "-" if row.get("change") is None else f"{row['change']:+.3f}"
        lines.append(f"{split:10}{cell(row['baseline']):>18}{cell(row['final']):>18}{change:>10}")
    return "\n".join(lines)

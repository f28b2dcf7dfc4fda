"""The ledger as the meta-agent sees it: a compact text of recent experiments.

Only train information goes in, plus the incumbent's held-out aggregate: no
per-row held-out scores, no gate evidence (it may name held-out tasks), and no
task listed as hidden.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Any

from meta.ledger.row import INCUMBENT_STATUSES, ResultRow


def proposer_summary(rows: Sequence[ResultRow], decisions: Sequence[dict[str, Any]], *, last_n: int = 10,
                     hidden_tasks: Collection[str] = ()) -> str:
    """Recent experiments as text for the proposer's prompt.

    Args:
        rows: The ledger's rows, in order.
        decisions: The ledger's ``decision`` events; their ``per_task_delta`` is shown.
        last_n: How many of the latest experiments to list.
        hidden_tasks: Task ids never to show (the held-out split), whatever an event holds.
    """
    rows = [row for row in rows if row.status != "stop"]
    if not rows:
        return "No experiments yet."
    lines = []
    incumbent = next((r for r in reversed(rows) if r.status in INCUMBENT_STATUSES), None)
    if incumbent is not None:
        text = f"Incumbent: exp {incumbent.exp} ({incumbent.commit[:10] or 'no commit'})"
        if incumbent.train_score is not None:
            se = f" ± {incumbent.train_se:.3f}" if incumbent.train_se is not None else ""
            text += f", train score {incumbent.train_score:.3f}{se}"
        heldout = next((r.heldout_score for r in reversed(rows)
                        if r.status in INCUMBENT_STATUSES and r.heldout_score is not None), None)
        if heldout is not None:
            text += f", held-out score {heldout:.3f}"
        lines.append(text)
    per_task = {e.get("exp"): e.get("per_task_delta") for e in decisions}
    recent = rows[-last_n:] if last_n > 0 else []
    lines.append(f"Last {len(recent)} of {len(rows)} experiments, oldest first:")
    for row in recent:
        parts = [f"exp {row.exp}", row.status]
        if row.delta is not None:
            parts.append(f"delta {row.delta:+.3f}")
        if row.p_or_bound is not None:
            parts.append(f"p/bound {row.p_or_bound:.3g}")
        if row.train_score is not None:
            parts.append(f"train {row.train_score:.3f}")
        lines.append(f"- {', '.join(parts)}: {row.description or '(no description)'}")
        deltas = per_task.get(row.exp)
        if isinstance(deltas, dict):
            lines.extend(_per_task_line(deltas, hidden_tasks))
    return "\n".join(lines)


def _per_task_line(deltas: dict[str, Any], hidden: Collection[str], limit: int = 8) -> list[str]:
    shown = [(task, float(d)) for task, d in deltas.items()
             if task not in hidden and isinstance(d, (int, float)) and math.isfinite(d) and d != 0]
    if not shown:
        return []
    shown.sort(key=lambda item: (-abs(item[1]), item[0]))
    text = ", ".join(f"{task} {delta:+.2f}" for task, delta in shown[:limit])
    more = f" (+{len(shown) - limit} more)" if len(shown) > limit else ""
    return [f"    per-task deltas: {text}{more}"]

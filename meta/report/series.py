"""The numbers behind each chart of a climb report, derived from the ledger only."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from meta.decide.records import STEP_NAMES
from meta.report.data import UNSCORED, RunRecord, mean

FINAL = "final head-to-head"
STAGES = {"baseline": "baseline", "heldout": "held-out runs", "smoke": "smoke test",
          "spot_check": "meta-agent's spot checks", "final": FINAL, "transfer": "transfer runs"}
"""A trial batch's stage as a chart says it; a decision's batches by their look."""
PROPOSAL, REVIEW = "proposal (meta-agent)", "overfitting review"


def running_best(record: RunRecord) -> dict[str, Any]:
    """Candidate scores per experiment, and the incumbent's train and held-out lines.

    The train line moves only at a keep, as the dashboard's does (the incumbent's
    ledger score); so does the held-out line (the held-out score a keep row carries).
    """
    rows = record.experiments
    candidates: dict[str, list[tuple[int, float | None, str]]] = defaultdict(list)
    train_x, train_y, held_x, held_y = [], [], [], []
    current = held = None
    for row in rows:
        if row.status == "baseline" or row.status == "keep":
            current = row.train_score
            # Only these rows carry a held-out score (older ledgers repeat it on every row).
            held = row.heldout_score if row.heldout_score is not None else held
        if row.status != "baseline":
            score = None if row.status in UNSCORED else row.train_score
            candidates[row.status].append((row.exp, score, row.description))
        if current is not None:
            train_x.append(row.exp)
            train_y.append(current)
        if held is not None:
            held_x.append(row.exp)
            held_y.append(held)
    final = record.final_table or {}
    heldout = final.get("heldout") if isinstance(final.get("heldout"), dict) else {}
    final_point = None
    if rows and heldout.get("final", {}).get("mean") is not None:
        final_point = (rows[-1].exp + 0.5, heldout["final"]["mean"])  # after the last experiment
    return {"train": (train_x, train_y), "heldout": (held_x, held_y), "candidates": dict(candidates),
            "final_heldout": final_point, "last_exp": rows[-1].exp if rows else 0}


def task_heatmap(record: RunRecord) -> dict[str, Any]:
    """Mean reward per (train task, experiment); None where the task was not run.

    Column 0 is the baseline; column k the candidate of
    experiment k, from its decision event's ``candidate_means``. An experiment
    stopped by a gate before measuring has an all-None column.
    """
    train, _ = record.split
    decisions = record.by_exp("decision")
    columns: list[tuple[int, str, dict[str, float]]] = []
    for row in record.experiments:
        if row.status == "baseline":
            columns.append((row.exp, "baseline", _baseline_means(record)))
        else:
            means = decisions.get(row.exp, {}).get("candidate_means") or {}
            columns.append((row.exp, row.status, {t: float(v) for t, v in means.items()}))
    tasks = sorted(set(train) | {t for _, _, means in columns for t in means})
    values = [[means.get(task) for _, _, means in columns] for task in tasks]
    return {"tasks": tasks, "exps": [c[0] for c in columns], "statuses": [c[1] for c in columns],
            "values": values}


def _baseline_means(record: RunRecord) -> dict[str, float]:
    """From the ``baseline_done`` event; from the baseline's trial folder for a ledger without one."""
    done = record.of_kind("baseline_done")
    if done and done[-1].get("train_means") is not None:
        return {task: float(v) for task, v in done[-1]["train_means"].items()}
    scores: dict[str, list[float]] = defaultdict(list)
    for event in record.batches(stage="baseline"):
        for result, _ in record.batch_trials(event):
            if result.score is not None:
                scores[result.task].append(result.score)
    return {task: mean(values) for task, values in scores.items()}


def spend_over_time(record: RunRecord) -> dict[str, Any]:
    """Cumulative spend per role against hours since the climb started (and each role's tokens).

    From ``spend`` events (per role) when the ledger has them, else the
    ``cost_usd`` column of results.tsv (all roles together).
    """
    start = _start(record)
    spends = record.of_kind("spend")
    series: dict[str, tuple[list[float], list[float]]] = {}
    tokens: dict[str, tuple[list[float], list[float]]] = {}
    if spends and start is not None:
        for event in spends:
            hours = (_when(event["t"]) - start).total_seconds() / 3600
            for role, totals in (event.get("by_role") or {}).items():
                for into, value in ((series, totals.get("usd", 0.0)), (tokens, totals.get("tokens", 0))):
                    xs, ys = into.setdefault(ROLE_NAMES.get(role, role), ([], []))
                    xs.append(hours)
                    ys.append(float(value or 0.0))
        return {"source": "spend events", "series": series, "tokens": tokens}
    hours, total, count, xs, ys, ts = 0.0, 0.0, 0.0, [], [], []
    for row in record.rows:
        hours += (row.minutes or 0.0) / 60
        total += row.cost_usd or 0.0
        count += row.tokens or 0
        xs.append(hours)
        ys.append(total)
        ts.append(count)
    return {"source": "results.tsv", "series": {"all roles": (xs, ys)} if xs else {},
            "tokens": {"all roles": (xs, ts)} if xs else {}}


ROLE_NAMES = {"meta": "meta-agent", "task": "task agent", "judge": "reviewer"}


def progress(record: RunRecord) -> list[dict[str, Any]]:
    """Each experiment row with where the climb stood when it was written: hours since the start,
    dollars and tokens spent so far (from the spend event each row is followed by; from the
    rows' own minutes, cost and tokens, summed, for a ledger without them)."""
    start, first_spend = _start(record), {}
    for event in record.of_kind("spend"):
        first_spend.setdefault(event.get("exp"), event)
    rows = record.experiments
    from_events = start is not None and all(r.exp in first_spend for r in rows)
    points, hours, usd, tokens = [], 0.0, 0.0, 0.0
    for row in rows:
        hours, usd, tokens = hours + (row.minutes or 0.0) / 60, usd + (row.cost_usd or 0.0), tokens + (row.tokens or 0)
        if from_events:
            event = first_spend[row.exp]
            hours = (_when(event["t"]) - start).total_seconds() / 3600
            usd = float(event.get("total_usd") or 0.0)
            tokens = float(sum(int(v.get("tokens") or 0) for v in (event.get("by_role") or {}).values()
                               if isinstance(v, dict)))
        points.append({"row": row, "hours": hours, "usd": usd, "tokens": tokens})
    return points


def batch_stage(event: dict[str, Any]) -> str:
    """A batch's stage for the charts: a decision's batches by their look ("deciding: full suite")."""
    stage = str(event.get("stage", "?"))
    if stage == "decide":
        return f"deciding: {STEP_NAMES.get(str(event.get('step') or ''), 'measuring')}"
    return STAGES.get(stage, stage.replace("_", " "))


def trials_per_experiment(record: RunRecord) -> dict[str, Any]:
    """Trials run per experiment, split by stage; the baseline is 'base', the end 'final'.

    Every experiment gets a column, so one stopped by a gate shows as a gap.
    """
    labels = ["base"] + [str(r.exp) for r in record.experiments if r.status != "baseline"]
    final = "final"
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for event in record.of_kind("trial_batch"):
        stage = batch_stage(event)
        label = final if stage == FINAL else ("base" if event.get("exp") in (0, None) else str(event["exp"]))
        if label not in labels:
            labels.append(label)
        counts[stage][label] += int(event.get("trials", 0))
    if final in labels:  # the end goes last, after any experiment the row list does not have yet
        labels = [x for x in labels if x != final] + [final]
    return {"labels": labels, "stages": {s: [by.get(x, 0) for x in labels] for s, by in counts.items()}}


def time_per_stage(record: RunRecord) -> dict[str, float]:
    """Seconds spent per stage over the climb.

    Trial stages add up their ``trial_batch`` seconds. 'proposal' is the gap
    before each proposal event (the meta-agent's conversation) minus its spot
    checks; 'overfit review' the gap between a decision and its overfit gate.
    """
    seconds: dict[str, float] = defaultdict(float)
    for event in record.of_kind("trial_batch"):
        seconds[batch_stage(event)] += float(event.get("seconds", 0.0))
    previous: dict[str, Any] | None = None
    spot = defaultdict(float)
    for event in record.batches(stage="spot_check"):
        spot[event.get("exp")] += float(event.get("seconds", 0.0))
    for event in record.events:
        kind = event.get("kind")
        if previous is not None and kind == "proposal":
            gap = _gap(previous, event) - spot[event.get("exp")]
            seconds[PROPOSAL] += max(gap, 0.0)
        if previous is not None and kind == "gate" and event.get("gate") == "overfit" \
                and previous.get("kind") == "decision":
            seconds[REVIEW] += _gap(previous, event)
        if kind != "trial_batch" or event.get("stage") != "spot_check":
            previous = event
    return dict(sorted(seconds.items(), key=lambda kv: -kv[1]))


def _gap(before: dict[str, Any], after: dict[str, Any]) -> float:
    try:
        return max((_when(after["t"]) - _when(before["t"])).total_seconds(), 0.0)
    except (KeyError, ValueError):
        return 0.0


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _start(record: RunRecord) -> datetime | None:
    for event in record.events:
        if "t" in event:
            return _when(event["t"])
    return None

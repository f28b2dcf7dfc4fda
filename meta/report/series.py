"""The numbers behind each chart of a climb report, derived from the ledger only."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from meta.report.data import UNSCORED, RunRecord, mean

FINAL = "final"


def running_best(record: RunRecord) -> dict[str, Any]:
    """Candidate scores per experiment, and the incumbent's train and held-out lines.

    The train line moves only at a keep, as the dashboard's does (the incumbent's
    ledger score); the held-out line is each row's held-out score of the incumbent.
    """
    rows = record.experiments
    candidates: dict[str, list[tuple[int, float | None, str]]] = defaultdict(list)
    train_x, train_y, held_x, held_y = [], [], [], []
    current = None
    for row in rows:
        if row.status == "baseline" or row.status == "keep":
            current = row.train_score
        if row.status != "baseline":
            score = None if row.status in UNSCORED else row.train_score
            candidates[row.status].append((row.exp, score, row.description))
        if current is not None:
            train_x.append(row.exp)
            train_y.append(current)
        if row.heldout_score is not None:
            held_x.append(row.exp)
            held_y.append(row.heldout_score)
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
    """Cumulative spend per role against hours since the climb started.

    From ``spend`` events (per role) when the ledger has them, else the
    ``cost_usd`` column of results.tsv (all roles together).
    """
    start = _start(record)
    spends = record.of_kind("spend")
    series: dict[str, tuple[list[float], list[float]]] = {}
    if spends and start is not None:
        for event in spends:
            hours = (_when(event["t"]) - start).total_seconds() / 3600
            for role, totals in (event.get("by_role") or {}).items():
                xs, ys = series.setdefault(role, ([], []))
                xs.append(hours)
                ys.append(float(totals.get("usd", 0.0)))
        return {"source": "spend events", "series": series}
    hours, total, xs, ys = 0.0, 0.0, [], []
    for row in record.rows:
        hours += (row.minutes or 0.0) / 60
        total += row.cost_usd or 0.0
        xs.append(hours)
        ys.append(total)
    return {"source": "results.tsv cost_usd", "series": {"all roles": (xs, ys)} if xs else {}}


def batch_stage(event: dict[str, Any]) -> str:
    """A batch's stage for the charts: a decision's batches by their look ("decide: full")."""
    stage = event.get("stage", "?")
    return f"{stage}: {event['step']}" if event.get("step") else stage


def trials_per_experiment(record: RunRecord) -> dict[str, Any]:
    """Trials run per experiment, split by stage; the baseline is 'base', the end 'final'.

    Every experiment gets a column, so one stopped by a gate shows as a gap.
    """
    labels = ["base"] + [str(r.exp) for r in record.experiments if r.status != "baseline"]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for event in record.of_kind("trial_batch"):
        stage = batch_stage(event)
        label = FINAL if stage == FINAL else ("base" if event.get("exp") in (0, None) else str(event["exp"]))
        if label not in labels:
            labels.append(label)
        counts[stage][label] += int(event.get("trials", 0))
    if FINAL in labels:  # the end goes last, after any experiment the row list does not have yet
        labels = [x for x in labels if x != FINAL] + [FINAL]
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
            seconds["proposal"] += max(gap, 0.0)
        if previous is not None and kind == "gate" and event.get("gate") == "overfit" \
                and previous.get("kind") == "decision":
            seconds["overfit review"] += _gap(previous, event)
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

"""The panel's table for people (fixed-width text) and for machines (JSON)."""

from __future__ import annotations

import json

from bench.decision.panel import BOUND_BIAS, BOUND_HARMFUL, BOUND_NULL

HEADER = (f"{'cell (world:T:budget)':24} {'rule':5} {'true lift':>13} {'ours-naive':>13} {'null':>5} "
          f"{'harm':>5} {'h>1pt':>5} {'help':>5} {'ledger bias':>13} {'rmse':>5} {'vs-base bias':>13} "
          f"{'dec':>5} {'kept':>4} {'chg':>4} {'fin.cov':>7}  bounds")


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}"


def _pm(value: float | None, se: float | None) -> str:
    return "-" if value is None else f"{_pct(value)}±{100 * (se or 0.0):<4.1f}"


def _row(name: str, rule: str, s: dict, entry: dict) -> str:
    diff = f"{_pct(entry['lift_diff'])}±{100 * entry['lift_diff_se']:.1f}" if rule == "ours" else ""
    rates = " ".join(f"{100 * s[k]['rate']:5.1f}" for k in ("keep_null", "keep_harmful", "keep_harmful_1pt",
                                                                "keep_helpful"))
    failed = [k for k, ok in entry["bounds"].items() if not ok]
    verdict = ("ok" if not failed else "MISS " + ",".join(failed)) if rule == "ours" else ""
    return (f"{name:24} {rule:5} {_pct(s['true_lift']):>7}±{100 * s['true_lift_se']:<4.1f} {diff:>13} {rates} "
            f"{_pct(s['ledger_bias']):>7}±{100 * s['ledger_bias_se']:<4.1f} {100 * s['ledger_rmse']:5.1f} "
            f"{_pm(s['change_bias'], s['change_bias_se']):>13} "
            f"{s['decisions']:5.1f} {s['kept_any']:4.2f} {s['changed']:4.2f} {s['final_coverage']:7.2f}  {verdict}")


def text(table: dict[str, dict], seeds: int, seconds: float, workers: int) -> str:
    """The table: two rows per cell, figures in points (lift, bias) and percent (keep rates)."""
    lines = [
        f"decision quality panel: {seeds} climbs per rule and cell, {workers} workers, {seconds:.0f}s",
        ("true lift / ours-naive / ledger bias / rmse in points of suite score (± one standard error); "
         "vs-base bias: the ledger's paired change against the baseline minus the true change; "
         "null/harm/help: % of such decisions kept (null: not marked simpler; h>1pt: harmful by more than "
         "a point); dec: decisions per climb; kept: share of climbs that kept an edit; chg: share of climbs "
         "ending on an agent that truly differs from the baseline; fin.cov: share "
         "of final confirmations whose 95% interval holds the true change"),
        HEADER,
    ]
    for name, entry in table.items():
        lines.append(_row(name, "ours", entry["ours"], entry))
        lines.append(_row(name, "naive", entry["naive"], entry))
    missed = {name: [k for k, ok in e["bounds"].items() if not ok] for name, e in table.items()}
    missed = {name: keys for name, keys in missed.items() if keys}
    lines.append(
        f"bounds (lift >= naive within 1 SE, null keeps <= {100 * BOUND_NULL:.0f}%, harmful keeps <= "
        f"{100 * BOUND_HARMFUL:.0f}%, |ledger bias| <= {100 * BOUND_BIAS:.0f} point within 1 SE (under drift: "
        f"the paired change against the baseline)): met in "
        f"{len(table) - len(missed)}/{len(table)} cells"
        + ("" if not missed else "; missed: " + "; ".join(f"{n} ({','.join(k)})" for n, k in missed.items()))
    )
    return "\n".join(lines)


def as_json(table: dict[str, dict], seeds: int, seconds: float) -> str:
    """Everything in the table, as one JSON object keyed by cell."""
    return json.dumps({"seeds": seeds, "seconds": round(seconds, 1), "cells": table}, indent=1)


def markdown(table: dict[str, dict]) -> str:
    """A compact table for the README: one row per cell, ours against naive."""
    lines = [("| cell (world:T:budget) | lift ours | lift naive | ours - naive | null keeps ours / naive | "
              "harmful keeps ours / naive | ledger bias ours / naive | bounds |"),
             "|---|---|---|---|---|---|---|---|"]
    for name, e in table.items():
        o, n = e["ours"], e["naive"]
        failed = [k for k, ok in e["bounds"].items() if not ok]
        bias = (f"{_pct(o['change_bias'] or 0.0)} (paired)" if name.startswith("drift:")
                else _pct(o["ledger_bias"]))
        lines.append(
            f"| {name} | {_pct(o['true_lift'])} | {_pct(n['true_lift'])} | "
            f"{_pct(e['lift_diff'])} ± {100 * e['lift_diff_se']:.1f} | "
            f"{100 * o['keep_null']['rate']:.1f}% / {100 * n['keep_null']['rate']:.1f}% | "
            f"{100 * o['keep_harmful']['rate']:.1f}% / {100 * n['keep_harmful']['rate']:.1f}% | "
            f"{bias} / {_pct(n['ledger_bias'])} | {'ok' if not failed else 'miss: ' + ', '.join(failed)} |")
    return "\n".join(lines)

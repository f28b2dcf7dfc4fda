"""The top of a climb's report: the key numbers in one line, and the final head-to-head."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meta.report.data import RunRecord
from meta.report.html import esc, num, section, table

Z95 = 1.96


def _span_hours(record: RunRecord) -> float | None:
    stamps = []
    for event in record.events:
        try:
            stamps.append(datetime.fromisoformat(str(event["t"])))
        except (KeyError, ValueError):
            continue
    return (max(stamps) - min(stamps)).total_seconds() / 3600 if len(stamps) > 1 else None


def spent(record: RunRecord) -> tuple[float, int]:
    """Dollars and tokens of the whole climb (the last spend event; else the rows summed)."""
    spends = record.of_kind("spend")
    if spends:
        roles = spends[-1].get("by_role") or {}
        tokens = sum(int(v.get("tokens") or 0) for v in roles.values() if isinstance(v, dict))
        return float(spends[-1].get("total_usd") or 0.0), tokens
    return sum(r.cost_usd or 0.0 for r in record.rows), sum(r.tokens or 0 for r in record.rows)


def _held_out(record: RunRecord) -> tuple[str, str]:
    """``baseline -> final`` on held-out, and its interval (or why there is none)."""
    final = record.final_table or {}
    held = final.get("heldout")
    if isinstance(held, dict) and isinstance(held.get("final"), dict) and isinstance(held.get("baseline"), dict):
        mean, se = held["final"].get("mean"), held["final"].get("se")
        interval = ("no interval: one trial per task" if se is None or mean is None else
                    f"95% interval {max(mean - Z95 * se, 0):.3f}–{mean + Z95 * se:.3f}, "
                    f"{held['final'].get('trials', 0)} trials")
        return f"{num(held['baseline'].get('mean'))} → {num(mean)}", interval
    base = next((r.heldout_score for r in record.rows if r.status == "baseline"), None)
    last = next((r.heldout_score for r in reversed(record.rows)
                 if r.status in ("baseline", "keep", "stop") and r.heldout_score is not None), None)
    if final.get("note"):
        return f"{num(base)} → {num(last)}", str(final["note"])
    return f"{num(base)} → {num(last)}", "so far, no final head-to-head yet"


def headline(record: RunRecord) -> str:
    """Held-out baseline -> final with its interval, experiments, keeps, spend and hours."""
    change, interval = _held_out(record)
    usd, tokens = spent(record)
    hours = _span_hours(record)
    money = f"${usd:,.2f}" if usd else f"{tokens:,} tokens (no prices)"
    cards = [("held-out", change, interval),
             ("experiments", str(max(len(record.experiments) - 1, 0)),
              f"{sum(r.status == 'keep' for r in record.rows)} kept"),
             ("spend", money, f"{tokens:,} tokens" if usd else "give --prices for dollars"),
             ("time", "–" if hours is None else f"{hours:.1f} h", "first to last event")]
    body = "".join(f'<div class="card"><div class="label">{esc(label)}</div><div class="big">{esc(big)}</div>'
                   f'<div class="small">{esc(small)}</div></div>' for label, big, small in cards)
    return f'<div class="headline">{body}</div>'


def result_section(record: RunRecord) -> str:
    final = record.final_table or {}
    rows = []
    for split in ("heldout", "train"):
        entry = final.get(split)
        if isinstance(entry, dict) and "error" not in entry:
            rows.append([{"heldout": "held-out"}.get(split, split), _cell(entry["baseline"]), _cell(entry["final"]),
                         _change(entry)])
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


def _cell(arm: dict[str, Any]) -> str:
    se = "n/a" if arm.get("se") is None else num(arm["se"])
    return f"{num(arm.get('mean'))} ± {se} ({arm.get('trials', 0)} trials)"


def _change(entry: dict[str, Any]) -> str:
    """The percentage, or the absolute change when the baseline is 0 (as the terminal shows)."""
    if entry.get("change_pct") is not None:
        return f"{entry['change_pct']:+.1f}% ({num(entry.get('change'), signed=True)})"
    return num(entry.get("change"), signed=True)

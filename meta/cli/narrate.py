"""Events in words: the stage a climb is in, and one readable line per event.

The dashboard, its plain mode and the pairings view all speak through here, so a person
never sees an event's raw name, a dict, a 40-character hash or a word cut in half.
"""

from __future__ import annotations

from typing import Any

from meta.decide.records import STATISTIC_NAMES, STEP_NAMES
from meta.ledger.row import SHORT_COMMIT
from meta.ledger.store import GATE_NAMES

BATCH_STAGES = {"baseline": "baseline", "heldout": "held-out run", "smoke": "smoke test",
                "spot_check": "meta-agent's spot check", "final": "final head-to-head", "transfer": "transfer runs"}
ROLES = {"meta": "meta-agent", "task": "task agent", "judge": "reviewer"}


def clip_words(text: Any, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    flat = " ".join(str(text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[: max(limit - 1, 1)]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def commit(sha: Any) -> str:
    return str(sha or "")[:SHORT_COMMIT]


def score(value: Any, signed: bool = False) -> str:
    if not isinstance(value, (int, float)):
        return "n/a"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def p_value(value: Any) -> str:
    return f"{value:.2g}" if isinstance(value, (int, float)) else "n/a"


def money(value: Any) -> str:
    value = float(value or 0.0)
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4f}"


def tokens(count: Any) -> str:
    count = int(count or 0)
    if count >= 1_000_000:
        return f"{count / 1e6:.1f}M"
    return f"{count / 1e3:.0f}k" if count >= 10_000 else f"{count / 1e3:.1f}k" if count >= 1000 else str(count)


def duration(seconds: float | None) -> str:
    """``42 s``, ``7 min``, ``3.2 h``: a span at the precision a person reads it."""
    if seconds is None:
        return "n/a"
    seconds = max(float(seconds), 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def clock(seconds: float) -> str:
    """``H:MM:SS`` (hours grow past 24 for a long climb)."""
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def batch_stage(event: dict[str, Any]) -> str:
    """The human name of a trial batch's stage: ``deciding: full suite``, ``held-out run``."""
    stage = str(event.get("stage") or "")
    if stage == "decide":
        return f"deciding: {STEP_NAMES.get(str(event.get('step') or ''), 'measuring')}"
    return BATCH_STAGES.get(stage, stage.replace("_", " ") or "trials")


def stage_after(event: dict[str, Any], current: str) -> str:
    """The stage the climb is in once ``event`` has happened."""
    kind = event.get("kind")
    if kind == "batch_start":
        return batch_stage(event)
    if kind == "trial_batch" and event.get("stage") == "spot_check":
        return "proposing"  # the meta-agent reads its spot check and goes on
    if kind == "gate":
        name = GATE_NAMES.get(str(event.get("gate")), "gate")
        if not event.get("passed", True):
            return "recording the result"
        return {"static": "smoke test", "smoke": "deciding", "overfit": "held-out run"}.get(str(event.get("gate")),
                                                                                            name)
    return {
        "climb_start": "starting", "resume_run": "resuming", "reopen": "climbing on", "split": "starting",
        "baseline_start": "baseline", "baseline_done": "baseline: held-out run", "proposal_start": "proposing",
        "meta_turn": "proposing", "proposal": "static gate",
        "decision": "overfitting review" if event.get("verdict") == "keep" else "recording the result",
        "keep": "recording the result", "heldout": current, "pause": "paused (outage or infrastructure)",
        "resume": "resumed", "stop": "finished", "spend": "between experiments",
    }.get(str(kind), current)


def _plural(count: Any, word: str) -> str:
    count = int(count or 0)
    return f"{count} {word}{'' if count == 1 else 's'}"


def _limits(event: dict[str, Any]) -> str:
    parts = []
    if event.get("hours") is not None:
        parts.append(f"{event['hours']:g} h")
    if event.get("max_experiments") is not None:
        parts.append(_plural(event["max_experiments"], "experiment"))
    if event.get("budget_usd") is not None:
        parts.append(f"${event['budget_usd']:g}")
    if event.get("plateau") is not None:
        parts.append(f"a plateau of {event['plateau']}")
    return ", ".join(parts) or "none (stop with Ctrl-C or a STOP file)"


def _decision(e: dict[str, Any]) -> str:
    stats = f"delta {score(e.get('delta'), signed=True)}"
    if isinstance(e.get("delta_se"), (int, float)) and e.get("delta_se"):
        stats += f" ± {e['delta_se']:.3f}"
    if e.get("bound") is not None:
        stats += f", {STATISTIC_NAMES.get(str(e.get('statistic')), 'p')} {p_value(e['bound'])}"
    verdict = "keep" if e.get("verdict") == "keep" else "discard"
    return f"decision: {verdict} ({stats}, {_plural(e.get('trials'), 'trial')}). {clip_words(e.get('reason'), 220)}"


def _gate(e: dict[str, Any]) -> str:
    name = GATE_NAMES.get(str(e.get("gate")), "gate")
    if e.get("passed"):
        return f"{name} passed: {clip_words(e.get('reason'), 160)}"
    return f"{name} refused the edit ({e.get('status') or 'refused'}): {clip_words(e.get('reason'), 220)}"


def _tamper(e: dict[str, Any]) -> str:
    trials = [t for t in e.get("trials") or [] if isinstance(t, dict)]
    first = trials[0] if trials else {}
    flags = [f for f in first.get("flags") or [] if isinstance(f, dict)]
    example = (f": {first.get('task')} ({first.get('agent')}) {flags[0].get('change')} {flags[0].get('path')}"
               if flags else "")
    return f"tamper audit flagged {_plural(len(trials), 'trial')} of the {batch_stage(e)}{clip_words(example, 160)}"


def _spend(e: dict[str, Any]) -> str | None:
    roles = e.get("by_role") or {}
    parts = [f"{ROLES.get(role, role)} {money(v.get('usd'))} / {tokens(v.get('tokens'))} tokens"
             for role, v in sorted(roles.items()) if isinstance(v, dict)]
    if not e.get("total_usd") and not any(isinstance(v, dict) and v.get("tokens") for v in roles.values()):
        return None  # nothing spent (scripted models): no line
    return f"spend so far {money(e.get('total_usd'))}" + (f" ({'; '.join(parts)})" if parts else "")


def _interval(test: Any) -> str | None:
    """``+0.050 [+0.010, +0.090]``: a paired change and its interval, or None if not one."""
    if not isinstance(test, dict) or not all(isinstance(test.get(k), (int, float)) for k in ("change", "low", "high")):
        return None
    return f"{test['change']:+.3f} [{test['low']:+.3f}, {test['high']:+.3f}]"


def _versus_baseline(test: Any) -> str:
    """A keep's paired change against the baseline, measured beside it in the same batch."""
    interval = _interval(test)
    return "" if interval is None else f", {interval} against the baseline, paired"


def _final(e: dict[str, Any]) -> str:
    final = e.get("final") or {}
    held = final.get("heldout") if isinstance(final.get("heldout"), dict) else None
    if held and isinstance(held.get("baseline"), dict) and isinstance(held.get("final"), dict):
        test = held.get("test")
        interval = _interval(test)
        paired = "" if interval is None else f", paired {interval}, p {p_value(test.get('p_value'))}"
        return (f"; held-out {score(held['baseline'].get('mean'))} -> {score(held['final'].get('mean'))}"
                f" ({score(held.get('change'), signed=True)}){paired}")
    return f"; {final['note']}" if final.get("note") else ""


def meta_turn(e: dict[str, Any]) -> str:
    """``turn 3/40: read_file: experiments/exp-0002/diff.patch``: what the meta-agent just did."""
    tools = [str(t) for t in e.get("tools") or []]
    did = "; ".join(clip_words(t, 90) for t in tools[:3]) if tools else "no tool call"
    more = f" (+{len(tools) - 3} more)" if len(tools) > 3 else ""
    stop = "" if e.get("stop_reason") in (None, "tool_use", "end_turn") else f" [stopped: {e['stop_reason']}]"
    return f"turn {e.get('turn')}/{e.get('max_turns', '?')}: {did}{more}{stop}"


def describe(e: dict[str, Any]) -> str | None:
    """One readable line for an event, or None for events too fine-grained to print."""
    kind = e.get("kind")
    exp = f"exp {e['exp']} " if isinstance(e.get("exp"), int) and kind not in ("climb_start", "split") else ""
    text = {
        "climb_start": lambda: (f"climb {'resumed' if e.get('resumed') else 'started'}: "
                                f"{_plural(e.get('train'), 'train task')}, {e.get('heldout', 0)} held-out; "
                                f"limits: {_limits(e)}"),
        "split": lambda: f"split: {len(e.get('train') or [])} train / {len(e.get('heldout') or [])} held-out tasks",
        "warning": lambda: f"warning: {e.get('message')}",
        "task_error": lambda: f"task skipped: {e.get('error')}",
        "resume_run": lambda: f"resuming after experiment {e.get('exp')}; "
                              f"{_plural(e.get('orphans_removed'), 'leftover container')} removed",
        "reopen": lambda: f"climbing on (it had stopped: {clip_words(e.get('previous_stop'), 120)})",
        "baseline_start": lambda: (f"baseline: the unmodified agent (commit {commit(e.get('commit'))}) on "
                                   f"{_plural(e.get('train'), 'train task')} and {e.get('heldout', 0)} held-out"),
        "baseline_done": lambda: "baseline measured on train",
        "batch_start": lambda: f"{batch_stage(e)}: {_plural(e.get('trials'), 'trial')} started",
        "trial_batch": lambda: (f"{batch_stage(e)}: {_plural(e.get('trials'), 'trial')} in "
                                f"{duration(e.get('seconds'))}"
                                + (f", {e['infra']} failed on infrastructure" if e.get("infra") else "")),
        "proposal_start": lambda: "meta-agent is reading the evidence and proposing an edit",
        "meta_turn": lambda: f"meta-agent {meta_turn(e)}",
        "proposal": lambda: (f"proposal: {clip_words(e.get('description'), 160)} "
                             f"({_plural(e.get('turns'), 'turn')}, {_plural(e.get('spot_trials'), 'spot-check trial')}"
                             + ("" if e.get("finished", True) else ", did not finish") + ")"),
        "gate": lambda: _gate(e),
        "decision": lambda: _decision(e),
        "heldout": lambda: f"held-out score {score(e.get('score'))} ({_plural(e.get('trials'), 'trial')})",
        "keep": lambda: (f"kept: commit {commit(e.get('commit'))} is the new incumbent (train "
                         f"{score(e.get('train_score'))}, held-out {score(e.get('heldout_score'))}"
                         f"{_versus_baseline(e.get('change_vs_baseline'))})"),
        "spend": lambda: _spend(e),
        "pause": lambda: (f"paused during {e.get('what', 'a step')}, retrying in {duration(e.get('retry_in_sec'))}: "
                          f"{clip_words(e.get('cause'), 200)}"),
        "resume": lambda: f"resumed {e.get('what', '')} after {duration(e.get('paused_sec'))} paused",
        "budget_warning": lambda: (f"budget warning: {money(e.get('spent_usd'))} of {money(e.get('budget_usd'))} "
                                   f"spent ({float(e.get('level') or 0):.0%})"),
        "tamper": lambda: _tamper(e),
        "disk_pruned": lambda: (f"disk low ({e.get('free_gb')} GB free): pruned {e.get('freed_mb')} MB of old "
                                f"trial files, {e.get('free_after_gb')} GB free now"),
        "stop": lambda: f"climb ended: {clip_words(e.get('reason'), 160)}{_final(e)}",
    }.get(str(kind))
    if text is None:
        return f"{exp}{str(kind or 'event').replace('_', ' ')}"
    line = text()
    return None if line is None else exp + line


def describe_row(row: Any) -> str | None:
    """A results.tsv row as a line (None for a stop row: the stop event says it)."""
    if row.status == "stop":
        return None
    if row.status == "baseline":
        se = f" ± {row.train_se:.3f}" if row.train_se is not None else ""
        return f"baseline measured: train {score(row.train_score)}{se}, held-out {score(row.heldout_score)}"
    delta = "" if row.delta is None else f" (delta {row.delta:+.3f})"
    return f"exp {row.exp} result: {row.status}{delta}: {clip_words(row.description, 160)}"

"""Spend per role as the ledger records it (``spend`` events) and as people read it: dollars and
tokens side by side, so a climb on a local model (priced at $0) still shows what it used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def spend_by_role(totals: Mapping[str, Any]) -> dict[str, dict[str, float | int]]:
    """``{role: {usd, calls, tokens, reasoning_tokens}}`` from a usage tracker's ``by_role()``.

    ``tokens`` counts prompt (cached or not) and output tokens; ``reasoning_tokens`` is the
    part of the output spent thinking.
    """
    return {role: {"usd": round(t.cost_usd, 6), "calls": t.calls,
                   "tokens": t.usage.prompt_tokens + t.usage.output_tokens,
                   "reasoning_tokens": t.usage.reasoning_tokens}
            for role, t in sorted(totals.items())}


def tokens_text(tokens: float) -> str:
    """950, 12.3k, 4.56M."""
    if tokens < 1000:
        return f"{tokens:.0f}"
    if tokens < 1_000_000:
        return f"{tokens / 1000:.1f}k"
    return f"{tokens / 1_000_000:.2f}M"


def spend_text(by_role: Mapping[str, Mapping[str, Any]]) -> str:
    """``meta $1.25 (12.3k tokens)  task $0.00 (1.20M tokens)``; "nothing yet" when empty."""
    parts = [f"{role} ${float(s.get('usd', 0.0)):.2f} ({tokens_text(float(s.get('tokens', 0)))} tokens)"
             for role, s in sorted(by_role.items())]
    return "  ".join(parts) or "nothing yet"

"""The tamper audit's flags, as the climb uses them: recorded for every batch, and a candidate
whose own trials carry any is never kept.

The sandbox judges each trial's container after the agent phase (sandbox/audit.py) and writes
the flags into result.json; a flag means the agent changed something the verifier relies on
(a command on PATH, the Python installation, a test framework, /tests, /logs). A reward
measured after that is not evidence the climb can keep an edit on, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.results import TrialResult

FLAGS_NAMED = 3
"""Flags named per trial in a one-line reason (every flag is in the event and result.json)."""
TRIALS_NAMED = 3


@dataclass(frozen=True)
class TamperedTrial:
    """One trial the audit flagged, as the ledger records it."""

    trial_id: str
    task: str
    agent: str
    """The arm: candidate, incumbent, heldout, baseline, final."""
    stage: str
    """Where the climb ran it: smoke, decide, baseline, heldout, spot_check, final."""
    trial_dir: str
    flags: tuple[tuple[str, str, str], ...]
    """(path, change, reason) per flag."""

    def to_json(self) -> dict[str, Any]:
        return {"trial_id": self.trial_id, "task": self.task, "agent": self.agent, "stage": self.stage,
                "trial_dir": self.trial_dir,
                "flags": [{"path": p, "change": c, "reason": r} for p, c, r in self.flags]}

    def line(self) -> str:
        """``trial count-03__r0__ab12 (count-03, smoke): modified /usr/bin/tar (a command on PATH replaced)``."""
        named = "; ".join(f"{change} {path} ({reason})" for path, change, reason in self.flags[:FLAGS_NAMED])
        more = f"; +{len(self.flags) - FLAGS_NAMED} more" if len(self.flags) > FLAGS_NAMED else ""
        return f"trial {self.trial_id} ({self.task}, {self.stage}): {named}{more}"


def tampered_trials(results: list[TrialResult], stage: str) -> list[TamperedTrial]:
    """The trials of a batch whose tamper audit flagged a change."""
    found = []
    for result in results:
        if result.tamper is None or not result.tamper.flags:
            continue
        flags = tuple((f.path, f.change.value, f.reason) for f in result.tamper.flags)
        found.append(TamperedTrial(result.trial_id, result.task, result.agent, stage, result.trial_dir, flags))
    return found


def tampering_reason(trials: list[TamperedTrial]) -> str:
    """The ledger's reason for refusing a candidate whose trials were flagged."""
    shown = " | ".join(t.line() for t in trials[:TRIALS_NAMED])
    more = f" | +{len(trials) - TRIALS_NAMED} more trial(s)" if len(trials) > TRIALS_NAMED else ""
    return (f"tampering: the tamper audit flagged {len(trials)} of the candidate's trials (changes the verifier "
            f"relies on; a reward measured after them is no evidence): {shown}{more}")

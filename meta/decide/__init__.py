"""The keep rule: whether a candidate edit replaces the incumbent, and what the ledger may claim.

Pure: it sees rewards through a `Measure` callable and imports no sandbox, model,
Docker or SDK code, so bench/decision_quality.py can drive it on simulated worlds.
`rule` is the entry point (`evaluate_candidate`, `next_incumbent`); `staged` the
procedure, `sampling` which tasks to run, `stats` the tests, `records` the data.
"""

from meta.decide.config import DecideConfig
from meta.decide.records import Decision, IncumbentRecord, Measure, TrialRequest, honest_score, next_incumbent
from meta.decide.rule import evaluate_candidate

__all__ = [
    "DecideConfig",
    "Decision",
    "IncumbentRecord",
    "Measure",
    "TrialRequest",
    "evaluate_candidate",
    "honest_score",
    "next_incumbent",
]

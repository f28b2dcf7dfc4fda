"""The keep rule: paired, staged, sequential decisions between a candidate and the incumbent,
and what the ledger may claim about the winner.

Pure: no sandbox, no models, no Docker, no SDKs. It asks for trials through a callable and
gets rewards back, so the decision-quality bench (bench/decision/) drives it with simulated
worlds. `rule` is the entry point (`evaluate_candidate`); `staged` the procedure, `sampling`
which tasks to run, `stats` and `boundary` the tests, `confirm` and `change` the claims
against the baseline, `records` the data, `summary` the figures for the ledger.
"""

"""The HTML report and its charts, built only from a run's ledger (events.jsonl, results.tsv)
and the files it points at, so it agrees with the dashboard; and the pairings matrix
(``matrix``: the terminal tables and pairings.json).

May import ``ledger``, ``pairings`` (to read a study's state) and ``sandbox.results``; never
runs trials or models.
"""

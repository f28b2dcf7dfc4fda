"""The model-pairing study: one climb per (meta model, task model, seed) cell under one shared
trial concurrency, and the transfer runs (the matrix itself is drawn by ``report.matrix``).

May import ``climb`` and the rooms it uses; not ``cli`` or ``report``.
"""

"""The climb's git worktree (every candidate a commit, a discard a reset) and the edit scope
(only agent.py, or its editable region, may change).

Pure: git subprocesses only; no sandbox, no models, no Docker, no SDKs.
"""

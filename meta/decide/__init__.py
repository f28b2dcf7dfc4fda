"""The keep rule: paired, staged, sequential decisions between a candidate and the incumbent.

Pure: no sandbox, no models, no Docker, no SDKs. It asks for trials through a callable and
gets rewards back, so the decision-quality bench drives it with simulated worlds.
"""

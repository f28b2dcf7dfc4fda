"""The decision-quality bench: simulated worlds, climbs, the panel and its report (see bench/decision_quality.py)."""

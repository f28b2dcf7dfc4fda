"""Defaults of the keep rule that the command line shows too, one constant each.

``DecideConfig`` and the argument parser both read them. Stdlib-only, so `climb --help` stays fast.
"""

ALPHA = 0.3
"""One-sided level of the staged keep test over all its looks (bench/decision_quality.py's panel
chose it; `DecideConfig.alpha` says why)."""

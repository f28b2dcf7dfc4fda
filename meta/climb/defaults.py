"""Defaults of a climb that the command line shows too, one constant each.

``ClimbConfig`` and the argument parser both read them. Stdlib-only, so `climb --help` stays fast.
"""

BASELINE_REPEATS = 2
"""Repeats of the baseline on train (the noise floor)."""
SPOT_BUDGET = 8
"""Trials the meta-agent may spend on spot checks per experiment."""
HELDOUT_FRACTION = 0.2
"""Share of tasks held out when no explicit list is given."""

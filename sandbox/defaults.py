"""Defaults of the sandbox that the command line shows too, one constant each.

Stdlib-only and importing nothing, so `climb --help` can name them without loading Docker.
"""

BASE_IMAGE = "climb-base:bookworm"
"""The image the example tasks start FROM (built by `climb base-image`)."""
CONCURRENCY = 4
"""Trials at once, when nothing else is said (a suite, a climb, a pairings study)."""

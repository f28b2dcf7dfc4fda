"""The meta-agent: one fresh conversation per experiment (``session``), its tools (``tools``),
what those tools may reach (``reach``: the workspace minus .git and task folders, train trials
only) and its prompts.

May import ``models`` and ``sandbox.results`` (to read trial results); knows nothing of the
climb's loop: the climb hands it a spot-check callable.
"""

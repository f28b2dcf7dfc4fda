"""The meta-agent: one fresh conversation per experiment (``session``), its tools (``tools``),
what those tools may reach (``reach``: the workspace minus .git and task folders, train trials
only), its prompts, and its transcript (``transcript``: each conversation as ATIF in its
experiment folder, which later sessions may read).

May import ``models``, ``sandbox.results`` (to read trial results) and the task agent's stdlib
records (``task_agent.runtime``'s Tool, ``task_agent.atif``'s recorder); knows nothing of the
climb's loop: the climb hands it a spot-check callable and a transcript.
"""

"""The climb: a meta-agent that edits task_agent/agent.py, and the `climb` command.

Rooms (each ``__init__.py`` says what it owns and may import; tests/test_architecture.py checks it):
``climb`` the loop and one experiment, ``proposer`` the meta-agent, ``decide`` the keep rule,
``gates`` static checks, leak scan and reviewer, ``ledger`` what a run writes, ``workspace`` the
git worktree, ``pairings`` the model-pairing study, ``report`` the HTML report, ``cli`` the command.
"""

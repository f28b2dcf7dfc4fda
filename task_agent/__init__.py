"""The task agent: the editable harness (agent.py), its fixed stdlib-only runtime (what runs in
the jail: runtime, atif, plus ``models.messages`` and ``durable``), and the host side (host, host_session,
jail) that spawns the jail and serves its channel.

May import ``sandbox`` (the Agent protocol it implements) and ``models``; never ``meta``.
"""

"""Hostile agents, each run through the real jail and sandbox, each asserting containment."""

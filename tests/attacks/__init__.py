"""Hostile agents, one module per class of attack, each run through the real sandbox (and the
real jail where the attack comes from agent.py or the task model), each asserting containment."""

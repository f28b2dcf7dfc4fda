"""Harbor tasks -> Docker containers -> rewards: task.toml models and discovery, the environment
protocol and its local-Docker implementation, one trial's lifecycle, verification, the pool.

Imports nothing of ours but ``durable`` (atomic writes) and knows nothing of LLMs or climbs: an agent is anything with
``async run(ctx)``, and errors say themselves whether a retry can help.
"""

"""The climb itself: the checks before it starts (priced models under a budget, endpoints that
answer), setup, baseline, the loop, one experiment as steps, evaluation of agents on
tasks (both arms in the same batches), the train/held-out split, the final confirmation, the
climb's config and resumable state. Trials run behind one seam, ``evaluation.TrialBatches``
(Docker in a real climb, a simulation in the fast tests).

May import every other room of meta/ except ``cli``, ``report`` and ``pairings``, and the
sandbox, task_agent and models packages.
"""

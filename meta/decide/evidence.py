"""The rewards one decision gathers, batch by batch, kept apart by arm and purpose."""

from __future__ import annotations

from collections.abc import Sequence

from meta.decide.records import Arm, Measure, TrialRequest

BOTH: tuple[Arm, Arm] = ("candidate", "incumbent")


class Evidence:
    """The rewards gathered for one decision and the batches that gathered them."""

    def __init__(self, measure: Measure) -> None:
        self.measure = measure
        self.candidate: dict[str, list[float]] = {}
        self.incumbent: dict[str, list[float]] = {}
        self.confirmation: dict[str, list[float]] = {}
        """The kept candidate's fresh rewards after the verdict."""
        self.baseline: dict[str, list[float]] = {}
        """The climb's baseline, run beside the confirmation in the same batch."""
        self.trials = 0

    async def batch(self, plan: Sequence[tuple[str, int]], *, step: str, arms: Sequence[Arm] = BOTH,
                    confirm: bool = False) -> dict[str, list[float]]:
        """Run (task, repeats) for each arm, in one batch; returns the incumbent's rewards."""
        requests = [TrialRequest(arm, task, n, step) for task, n in plan if n > 0 for arm in arms]
        fresh: dict[str, list[float]] = {}
        if not requests:
            return fresh
        results = await self.measure(requests)
        for (arm, task), rewards in results.items():
            rewards = [float(r) for r in rewards]
            if not rewards:
                continue
            self.trials += len(rewards)
            if arm == "baseline":
                self.baseline.setdefault(task, []).extend(rewards)
            elif confirm:
                self.confirmation.setdefault(task, []).extend(rewards)
            elif arm == "candidate":
                self.candidate.setdefault(task, []).extend(rewards)
            else:
                self.incumbent.setdefault(task, []).extend(rewards)
                fresh.setdefault(task, []).extend(rewards)
        return fresh

    def paired(self) -> set[str]:
        """Tasks with rewards in both arms."""
        return {t for t, r in self.candidate.items() if r and self.incumbent.get(t)}

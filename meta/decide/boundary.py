"""The group-sequential boundary of the keep looks: each look's nominal level from the looks' information."""

from __future__ import annotations

import math
from collections.abc import Sequence

from meta.decide.stats import normal_quantile


def _upper(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2))


def _density(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _grid(low: float, high: float, n: int) -> tuple[list[float], list[float]]:
    """Points and trapezoid weights on [low, high]."""
    step = (high - low) / (n - 1)
    points = [low + i * step for i in range(n)]
    weights = [step] * n
    weights[0] = weights[-1] = step / 2
    return points, weights


def sequential_levels(infos: Sequence[float], spend: Sequence[float], max_corr: float = 0.95) -> list[float]:
    """Nominal one-sided levels of successive looks at accumulating data.

    Look k's boundary c_k is set so that the chance under the null of first
    crossing at look k is exactly spend[k], given the looks' correlations
    sqrt(I_j / I_k) (the canonical joint distribution of z statistics computed on
    accumulating data; I is information, 1 / se^2). It is the recursive numerical
    integration of Armitage, McPherson and Rowe. With equal spending the levels are
    alpha/K at the first look and grow after it, so the family of looks stays at
    sum(spend) while each later look is less strict than Bonferroni.

    Args:
        infos: information at each look so far (it should not decrease).
        spend: alpha to spend at each look (at least as many as `infos`).
        max_corr: correlations are capped here; a lower correlation is
            conservative, and it keeps the integration grid adequate.

    Returns:
        The nominal level (upper-tail p) of each look.
    """
    levels: list[float] = []
    points: list[float] = []
    weights: list[float] = []
    dens: list[float] = []
    for k, info in enumerate(infos):
        if k == 0:
            c = normal_quantile(spend[0])
        else:
            r = min(max_corr, math.sqrt(max(infos[k - 1], 1e-300) / max(info, 1e-300)))
            sd = math.sqrt(1 - r * r)

            def crossing(c: float) -> float:  # called in this iteration only: its values are current
                return sum(w * f * _upper((c - r * z) / sd) for z, w, f in zip(points, weights, dens))  # noqa: B023

            low, high = -6.0, 8.0
            for _ in range(40):
                mid = (low + high) / 2
                low, high = (mid, high) if crossing(mid) > spend[k] else (low, mid)
            c = high
        levels.append(_upper(c))
        if k + 1 == len(infos):
            break
        # The sub-density of z_k on the region that has not crossed yet.
        step = (sd if k else 1.0) / 4
        new_points, new_weights = _grid(-6.0, c, max(60, math.ceil((c + 6) / step)))
        if k == 0:
            new_dens = [_density(z) for z in new_points]
        else:
            new_dens = [
                sum(w * f * _density((x - r * z) / sd) for z, w, f in zip(points, weights, dens)) / sd
                for x in new_points
            ]
        points, weights, dens = new_points, new_weights, new_dens
    return levels

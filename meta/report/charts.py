"""The charts of a climb report, drawn offline with matplotlib (Agg) into PNG files.

Each function saves one PNG and returns a ``Chart`` whose ``data`` is read back
from the drawn figure (line and marker coordinates by legend label, heatmap
cells), so tests check what was plotted rather than what was meant to be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to files
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Rectangle

from meta.report.data import short

DPI = 110
KEPT, GREY, TRAIN, HELDOUT = "#2e9e44", "#9a9a9a", "#1f5fae", "#e07b00"
NOT_RUN = "#eeeeee"
KEY_LINE, KEY_CHARS = 0.19, 72  # inches per line of the kept-edits key; characters per description
MAX_WIDTH = 11.5  # inches: wider charts shrink in the report until their text is unreadable
STAGE_COLOURS = {"baseline": "#1f5fae", "heldout": "#e07b00", "smoke": "#8c564b", "spot_check": "#9467bd",
                 "decide": "#2e9e44", "decide: spot": "#a1d99b", "decide: widen": "#74c476",
                 "decide: full": "#31a354", "decide: sequential": "#006d2c", "decide: confirm": "#00441b",
                 "final": "#d62728", "proposal": "#17becf", "overfit review": "#bcbd22"}


@dataclass(frozen=True)
class Chart:
    """One saved chart and the data read back from its figure."""

    path: Path
    title: str
    data: dict[str, Any]


def save_chart(fig: plt.Figure, path: Path, title: str, extra: dict[str, Any] | None = None) -> Chart:
    data = figure_series(fig)
    data.update(extra or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return Chart(path, title, data)


def figure_series(fig: plt.Figure) -> dict[str, Any]:
    """Labelled lines and marker sets of a figure as ``{label: [(x, y), ...]}``, bars as heights."""
    data: dict[str, Any] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if not line.get_label().startswith("_"):
                data[line.get_label()] = [(float(x), float(y)) for x, y in zip(line.get_xdata(), line.get_ydata())]
        for collection in ax.collections:
            label = collection.get_label()
            if not label.startswith("_") and hasattr(collection, "get_offsets"):
                data[label] = [(float(x), float(y)) for x, y in np.asarray(collection.get_offsets())]
        for container in ax.containers:
            label = container.get_label()
            if label and not label.startswith("_"):
                horizontal = getattr(container, "orientation", "vertical") == "horizontal"
                data[label] = [float(p.get_width() if horizontal else p.get_height()) for p in container.patches]
    return data


def running_best_chart(series: dict[str, Any], path: Path) -> Chart:
    """Candidates as grey markers, kept ones green and numbered, incumbent train and held-out lines.

    Kept edits are numbered on the plot and described in a key under it: long
    descriptions written beside close-together points would run into each other.
    """
    kept = series["candidates"].get("keep", [])
    key_lines = [f"{x}  {short(text, KEY_CHARS)}" for x, _, text in kept]
    half = math.ceil(len(key_lines) / 2)  # the key has two columns
    key_height = 0.6 + KEY_LINE * half
    fig = plt.figure(figsize=(11, 5.2 + key_height), layout="constrained")
    ax, key = fig.subplots(2, 1, height_ratios=[5.2, key_height])
    scores = [y for _, ys in (series["train"], series["heldout"]) for y in ys]
    scores += [s for points in series["candidates"].values() for _, s, _ in points if s is not None]
    low, high = min([0.0, *scores]), max([1.0, *scores])
    pad = (high - low) * 0.08
    floor = low - pad
    ax.set_ylim(floor - pad, high + 2 * pad)  # headroom for the numbers of kept edits
    # No ticks in the headroom or below the floor: a score axis should not suggest rewards above the max.
    ax.set_yticks([t for t in ax.get_yticks() if low - 1e-9 <= t <= high + 1e-9])
    if series["train"][0]:
        ax.step(*series["train"], where="post", color=TRAIN, linewidth=2.2, label="incumbent, train")
    if series["heldout"][0]:
        ax.step(*series["heldout"], where="post", color=HELDOUT, linewidth=2, linestyle="--",
                label="incumbent, held-out")
    markers = {"discard": ("o", "discarded"), "overfit": ("v", "overfit (gate refused)")}
    for status, (marker, label) in markers.items():
        points = [(x, y) for x, y, _ in series["candidates"].get(status, []) if y is not None]
        if points:
            ax.scatter(*zip(*points), marker=marker, s=46, color=GREY, zorder=3, label=label)
    unscored = [x for status in ("invalid", "crash") for x, _, _ in series["candidates"].get(status, [])]
    if unscored:
        ax.scatter(unscored, [floor] * len(unscored), marker="x", s=46, color=GREY, zorder=3,
                   label="invalid / crash (not scored)")
    if kept:
        ax.scatter([x for x, _, _ in kept], [y for _, y, _ in kept], s=110, color=KEPT, edgecolor="black",
                   zorder=4, label="kept")
        _number_kept(ax, kept, max(series["last_exp"], 1))
    if series.get("final_heldout"):
        ax.scatter(*zip(series["final_heldout"]), marker="*", s=220, color=HELDOUT, edgecolor="black", zorder=4,
                   label="final, held-out (head to head)")
    ax.set_xlim(-0.5, max(series["last_exp"], 1) + 0.8)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("experiment")
    ax.set_ylabel("score (mean reward)")
    ax.grid(alpha=0.3)
    ax.set_title("Running best: every candidate, and the incumbent's train and held-out scores")
    key.axis("off")
    key.legend(*ax.get_legend_handles_labels(), loc="upper center", ncol=4, frameon=False, fontsize=9)
    columns = [key_lines[:half], key_lines[half:]]
    for i, lines in enumerate(c for c in columns if c):
        title = "kept edits (experiment, description)\n" if i == 0 else "\n"
        key.annotate(title + "\n".join(lines), (0.01 + 0.5 * i, 1.0), xycoords="axes fraction",
                     xytext=(0, -40), textcoords="offset points", va="top", fontsize=8.5, color="#1b5e20",
                     linespacing=1.35)
    return save_chart(fig, path, "Running best", {"kept_key": key_lines})


def _number_kept(ax: plt.Axes, kept: list[tuple[int, float, str]], last_exp: int) -> None:
    """Each kept dot's experiment number; a number close to the previous one goes below its dot."""
    near = max(1.0, last_exp / 30)
    previous, above = None, False
    for x, y, _ in kept:
        above = not above if previous is not None and x - previous <= near else True
        ax.annotate(str(x), (x, y), xytext=(0, 9 if above else -12), textcoords="offset points", ha="center",
                    va="bottom" if above else "top", fontsize=8.5, fontweight="bold", color="#1b5e20", zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
        previous = x


def heatmap_chart(heat: dict[str, Any], path: Path) -> Chart:
    """Tasks x experiments; hatched grey cells were not run, red ones failed."""
    tasks, exps = heat["tasks"], heat["exps"]
    values = np.array([[np.nan if v is None else v for v in row] for row in heat["values"]], dtype=float)
    if values.size == 0:
        values = np.full((max(len(tasks), 1), max(len(exps), 1)), np.nan)
    masked = np.ma.masked_invalid(values)
    width = min(max(6.0, 0.62 * len(exps) + 3.5), MAX_WIDTH)
    fig, ax = plt.subplots(figsize=(width, max(3.0, 0.36 * len(tasks) + 1.8)))
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad=NOT_RUN)
    finite = values[np.isfinite(values)]
    vmin, vmax = min(0.0, *finite) if finite.size else 0.0, max(1.0, *finite) if finite.size else 1.0
    image = ax.imshow(masked, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    column = (width - 3.5) / max(len(exps), 1)  # inches per experiment
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#b5b5b5",
                                   linewidth=0))
        elif column >= 0.3 and len(tasks) * len(exps) <= 1200:
            ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=7.5,
                    color="black" if 0.2 < (value - vmin) / ((vmax - vmin) or 1) < 0.8 else "white")
    for j, status in enumerate(heat["statuses"]):
        if status == "keep":
            ax.add_patch(Rectangle((j - 0.5, -0.5), 1, len(tasks), fill=False, edgecolor="black", linewidth=2.2))
    if column >= 0.55:
        ax.set_xticks(range(len(exps)), [f"{e}\n{s}" for e, s in zip(exps, heat["statuses"])], fontsize=8)
    else:  # too narrow for statuses: numbers only, thinned, kept ones in bold
        step = max(1, round(0.16 / column))
        shown = [j for j in range(len(exps)) if j % step == 0 or heat["statuses"][j] == "keep"]
        ax.set_xticks(shown, [str(exps[j]) for j in shown], fontsize=7.5, rotation=90)
        for j, tick in zip(shown, ax.get_xticklabels()):
            tick.set_fontweight("bold" if heat["statuses"][j] == "keep" else "normal")
    ax.set_yticks(range(len(tasks)), tasks, fontsize=8)
    ax.set_xlabel("experiment (candidate measured; column 0 is the baseline)")
    fig.colorbar(image, ax=ax, label="mean reward", fraction=0.04, pad=0.02)
    # Below the figure (saved with a tight box), so it never covers the title or the x labels.
    fig.legend(handles=[Patch(facecolor=NOT_RUN, hatch="///", edgecolor="#b5b5b5", label="not evaluated"),
                        Patch(facecolor=cmap(0.0), label="failed (0)"),
                        Patch(facecolor="none", edgecolor="black", linewidth=2.2, label="kept")],
               loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False, fontsize=9)
    ax.set_title("Per-task reward of each candidate")
    drawn = image.get_array()
    cells = [[None if drawn.mask is not np.ma.nomask and drawn.mask[i, j] else float(drawn[i, j])
              for j in range(drawn.shape[1])] for i in range(drawn.shape[0])]
    return save_chart(fig, path, "Task x experiment", {"cells": cells, "tasks": list(tasks), "exps": list(exps)})


def spend_chart(spend: dict[str, Any], path: Path) -> Chart:
    fig, ax = plt.subplots(figsize=(7, 3.8))
    longest = max((x for xs, _ in spend["series"].values() for x in xs), default=0.0)
    unit, scale = _time_unit(longest * 3600)
    for role, (xs, ys) in sorted(spend["series"].items()):
        ax.step([x * 3600 / scale for x in xs], ys, where="post", marker="o", markersize=3, label=role)
    ax.set_xlabel(f"{unit} since the climb started")
    ax.set_ylabel("cumulative spend (USD)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if spend["series"]:
        ax.legend(frameon=False, fontsize=9)
    if not any(y for _, ys in spend["series"].values() for y in ys):  # otherwise an empty-looking chart
        ax.text(0.5, 0.5, "no spend recorded: the models have no price (or a price of 0)", ha="center",
                va="center", transform=ax.transAxes, fontsize=9, color="#555555")
    ax.set_title(f"Spend by role over time (from {spend['source']})")
    return save_chart(fig, path, "Spend by role", {"hours": {r: list(xy) for r, xy in spend["series"].items()}})


def trials_chart(trials: dict[str, Any], path: Path) -> Chart:
    labels = trials["labels"]
    width = min(max(6.0, 0.45 * len(labels) + 3), MAX_WIDTH)
    fig, ax = plt.subplots(figsize=(width, 3.8))
    bottom = np.zeros(len(labels))
    for stage, counts in trials["stages"].items():
        ax.bar(range(len(labels)), counts, bottom=bottom, label=stage, color=STAGE_COLOURS.get(stage))
        bottom += np.array(counts, dtype=float)
    step = max(1, round(0.3 / ((width - 3) / max(len(labels), 1))))  # about 0.3 inches per shown label
    shown = [i for i in range(len(labels)) if i % step == 0 or i == len(labels) - 1]
    ax.set_xticks(shown, [labels[i] for i in shown])
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_xlabel("experiment")
    ax.set_ylabel("trials")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Trials per experiment, by stage")
    return save_chart(fig, path, "Trials per experiment", {"labels": list(labels)})


def stage_time_chart(seconds: dict[str, float], path: Path) -> Chart:
    stages = list(seconds)
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.42 * len(stages) + 1.2)))
    unit, scale = _time_unit(max(seconds.values(), default=0.0))
    values = [seconds[s] / scale for s in stages]
    ax.barh(stages, values, color=[STAGE_COLOURS.get(s, GREY) for s in stages], label=unit)
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.1f}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"{unit} (a trial stage counts the wall-clock time of its batches)")
    ax.set_title("Time per stage")
    return save_chart(fig, path, "Time per stage", {"seconds": dict(seconds)})


def _time_unit(seconds: float) -> tuple[str, float]:
    """A unit that keeps the axis numbers readable."""
    if seconds >= 2 * 3600:
        return "hours", 3600.0
    return ("minutes", 60.0) if seconds >= 120 else ("seconds", 1.0)

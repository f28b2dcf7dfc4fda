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

from meta.report.data import UNSCORED, short

DPI = 110
KEPT, GREY, TRAIN, HELDOUT = "#2e9e44", "#9a9a9a", "#1f5fae", "#e07b00"
NOT_RUN = "#eeeeee"
KEY_LINE, KEY_CHARS = 0.19, 72  # inches per line of the kept-edits key; characters per description
MAX_WIDTH = 11.5  # inches: wider charts shrink in the report until their text is unreadable
STAGE_COLOURS = {"baseline": "#1f5fae", "held-out runs": "#e07b00", "smoke test": "#8c564b",
                 "meta-agent's spot checks": "#9467bd", "deciding: measuring": "#2e9e44",
                 "deciding: first look": "#a1d99b", "deciding: widened look": "#74c476",
                 "deciding: full suite": "#31a354", "deciding: extra repeats": "#006d2c",
                 "deciding: confirmation": "#00441b", "final head-to-head": "#d62728",
                 "proposal (meta-agent)": "#17becf", "overfitting review": "#bcbd22"}


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
    unscored = [x for status in UNSCORED for x, _, _ in series["candidates"].get(status, [])]
    if unscored:
        ax.scatter(unscored, [floor] * len(unscored), marker="x", s=46, color=GREY, zorder=3,
                   label="invalid / crash / meta failed (not scored)")
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


def spend_chart(spend: dict[str, Any], path: Path) -> Chart:
    """Cumulative dollars per role; tokens instead when no model had a price (else a flat chart)."""
    dollars = any(y for _, ys in spend["series"].values() for y in ys)
    series = spend["series"] if dollars or not spend.get("tokens") else spend["tokens"]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    longest = max((x for xs, _ in series.values() for x in xs), default=0.0)
    unit, scale = _time_unit(longest * 3600)
    for role, (xs, ys) in sorted(series.items()):
        ax.step([x * 3600 / scale for x in xs], ys, where="post", marker="o", markersize=3, label=role)
    ax.set_xlabel(f"{unit} since the climb started")
    ax.set_ylabel("cumulative spend (USD)" if dollars else "cumulative tokens (no model had a price)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(frameon=False, fontsize=9)
    if not any(y for _, ys in series.values() for y in ys):  # otherwise an empty-looking chart
        ax.text(0.5, 0.5, "nothing spent: no tokens and no priced calls recorded", ha="center",
                va="center", transform=ax.transAxes, fontsize=9, color="#555555")
    ax.set_title(f"{'Spend' if dollars else 'Tokens'} by role over time (from {spend['source']})")
    return save_chart(fig, path, "Spend by role", {"hours": {r: list(xy) for r, xy in series.items()},
                                                   "unit": "USD" if dollars else "tokens"})


def progress_chart(points: list[dict[str, Any]], path: Path) -> Chart:
    """The running best against wall-clock hours and against money (tokens when nothing had a price)."""
    money = "usd" if any(p["usd"] for p in points) else "tokens"
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.9), sharey=True, layout="constrained")
    for ax, key, label in ((axes[0], "hours", "hours since the climb started"),
                           (axes[1], money, "USD spent" if money == "usd" else "tokens used (no model had a price)")):
        _progress_panel(ax, points, key)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("score (mean reward)")
    axes[0].legend(frameon=False, fontsize=8.5, loc="best")
    fig.suptitle("Running best against time and against spend", fontsize=11)
    return save_chart(fig, path, "Running best over time and spend", {"x": money})


def _progress_panel(ax: plt.Axes, points: list[dict[str, Any]], key: str) -> None:
    train_x, train_y, held_x, held_y, current, held = [], [], [], [], None, None
    for point in points:
        row, x = point["row"], point[key]
        if row.status in ("baseline", "keep"):
            current, held = row.train_score, row.heldout_score if row.heldout_score is not None else held
        if current is not None:
            train_x.append(x)
            train_y.append(current)
        if held is not None:
            held_x.append(x)
            held_y.append(held)
    ax.step(train_x, train_y, where="post", color=TRAIN, linewidth=2, label="incumbent, train")
    ax.step(held_x, held_y, where="post", color=HELDOUT, linewidth=1.8, linestyle="--", label="incumbent, held-out")
    for status, (marker, colour, size) in {"discard": ("o", GREY, 30), "overfit": ("v", GREY, 30),
                                           "keep": ("o", KEPT, 70)}.items():
        shown = [(p[key], p["row"].train_score) for p in points
                 if p["row"].status == status and p["row"].train_score is not None]
        if shown:
            ax.scatter(*zip(*shown), marker=marker, s=size, color=colour, zorder=3,
                       edgecolor="black" if status == "keep" else "none",
                       label={"discard": "discarded", "overfit": "overfit", "keep": "kept"}[status])


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

"""The task x experiment heatmap, and where each of its cells lies in the saved PNG.

The report lays clickable boxes over the picture (an inline SVG scales them with it), so a
cell links to that candidate's trials on that task. The boxes are computed the way
``savefig(bbox_inches="tight")`` crops the figure, in inches, so they fit at any DPI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Rectangle

from meta.report.charts import DPI, MAX_WIDTH, NOT_RUN, Chart, save_chart

MANY_TASKS = 40
"""Above this many tasks, rows get thinner and their labels smaller (200 tasks stay readable)."""


def heatmap_chart(heat: dict[str, Any], path: Path) -> Chart:
    """Tasks x experiments; hatched grey cells were not run, red ones failed, kept columns outlined.

    ``data["boxes"]`` holds each cell's pixel box in the PNG: ``(row, column, left, top, right, bottom)``.
    """
    tasks, exps = heat["tasks"], heat["exps"]
    values = np.array([[np.nan if v is None else v for v in row] for row in heat["values"]], dtype=float)
    if values.size == 0:
        values = np.full((max(len(tasks), 1), max(len(exps), 1)), np.nan)
    masked = np.ma.masked_invalid(values)
    row_height, label_size = (0.36, 8.0) if len(tasks) <= MANY_TASKS else (0.19, 6.5)
    width = min(max(6.0, 0.62 * len(exps) + 3.5), MAX_WIDTH)
    height = max(3.0, row_height * len(tasks) + 2.2)
    fig, ax = plt.subplots(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(bottom=1.0 / height, top=1 - 1.2 / height)  # margins in inches: rows keep their height
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad=NOT_RUN)
    finite = values[np.isfinite(values)]
    vmin, vmax = min(0.0, *finite) if finite.size else 0.0, max(1.0, *finite) if finite.size else 1.0
    image = ax.imshow(masked, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    column = (width - 3.5) / max(len(exps), 1)  # inches per experiment
    _cells(ax, values, vmin, vmax, column, label_size if len(tasks) <= MANY_TASKS else 0)
    for j, status in enumerate(heat["statuses"]):
        if status == "keep":
            ax.add_patch(Rectangle((j - 0.5, -0.5), 1, len(tasks), fill=False, edgecolor="black", linewidth=2.2))
    _x_ticks(ax, exps, heat["statuses"], column)
    if len(tasks) > MANY_TASKS:  # a tall map: experiment numbers on top as well
        ax.tick_params(top=True, labeltop=True)
    ax.set_yticks(range(len(tasks)), tasks, fontsize=label_size)
    ax.set_xlabel("experiment (candidate measured; column 0 is the baseline)")
    fig.colorbar(image, ax=ax, label="mean reward", fraction=0.04, pad=0.02)
    # Above the plot, under the title: below it the legend ran into the axis label on short charts.
    ax.legend(handles=[Patch(facecolor=NOT_RUN, hatch="///", edgecolor="#b5b5b5", label="not evaluated"),
                       Patch(facecolor=cmap(0.0), label="failed (0)"),
                       Patch(facecolor="none", edgecolor="black", linewidth=2.2, label="kept")],
              loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=3, frameon=False, fontsize=9, borderaxespad=0)
    ax.set_title("Per-task reward of each candidate (click a cell for its trials)", pad=24)
    drawn = image.get_array()
    cells = [[None if drawn.mask is not np.ma.nomask and drawn.mask[i, j] else float(drawn[i, j])
              for j in range(drawn.shape[1])] for i in range(drawn.shape[0])]
    boxes = cell_boxes(fig, ax, len(tasks), len(exps))
    return save_chart(fig, path, "Task x experiment",
                      {"cells": cells, "tasks": list(tasks), "exps": list(exps), "boxes": boxes})


def _cells(ax: plt.Axes, values: np.ndarray, vmin: float, vmax: float, column: float, font: float) -> None:
    """Hatching where nothing ran; the value written in the cell when there is room."""
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#b5b5b5",
                                   linewidth=0))
        elif font and column >= 0.3 and values.size <= 1200:
            ax.text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=7.5,
                    color="black" if 0.2 < (value - vmin) / ((vmax - vmin) or 1) < 0.8 else "white")


def _x_ticks(ax: plt.Axes, exps: list[int], statuses: list[str], column: float) -> None:
    if column >= 0.55:
        ax.set_xticks(range(len(exps)), [f"{e}\n{s}" for e, s in zip(exps, statuses)], fontsize=8)
        return
    step = max(1, round(0.16 / column))  # too narrow for statuses: numbers only, thinned, kept ones in bold
    shown = [j for j in range(len(exps)) if j % step == 0 or statuses[j] == "keep"]
    ax.set_xticks(shown, [str(exps[j]) for j in shown], fontsize=7.5, rotation=90)
    for j, tick in zip(shown, ax.get_xticklabels()):
        tick.set_fontweight("bold" if statuses[j] == "keep" else "normal")


def cell_boxes(fig: plt.Figure, ax: plt.Axes, rows: int, columns: int) -> list[tuple[int, int, int, int, int, int]]:
    """Each cell's box in the PNG that ``savefig(dpi=DPI, bbox_inches="tight")`` writes."""
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    crop = fig.get_tightbbox(renderer).padded(plt.rcParams["savefig.pad_inches"])  # inches
    boxes = []
    for i in range(rows):
        for j in range(columns):
            (x0, y0), (x1, y1) = ax.transData.transform([(j - 0.5, i + 0.5), (j + 0.5, i - 0.5)]) / fig.dpi
            left, right = round((x0 - crop.x0) * DPI), round((x1 - crop.x0) * DPI)
            top, bottom = round((crop.y1 - y1) * DPI), round((crop.y1 - y0) * DPI)
            boxes.append((i, j, left, top, right, bottom))
    return boxes

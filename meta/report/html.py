"""Small HTML building blocks for the self-contained report: escaping, tables, images, diffs."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from meta.report.charts import Chart

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1150px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
p.note { color: #555; margin-top: 0.2em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.4em 0; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; white-space: pre-wrap; }
pre.diff { white-space: pre; }
.add { color: #116329; background: #e6ffec; } .del { color: #82071e; background: #ffebe9; }
.hunk { color: #0550ae; } .keep { color: #2e9e44; font-weight: bold; } .bad { color: #b42318; }
details { margin: 0.5em 0 1.5em; } summary { cursor: pointer; font-weight: 600; }
section details { margin: 0.3em 0 0.6em; } details[open] > summary { margin-bottom: 0.4em; }
.headline { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 1em 0 0.5em; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.5em 0.9em; min-width: 11em; flex: 1; }
.card .label { color: #555; font-size: 0.85em; } .card .big { font-size: 1.45em; font-weight: 600; }
.card .small { color: #555; font-size: 0.8em; }
.wide { overflow-x: auto; } .wide table { font-size: 0.82em; }
pre.thinking { font-style: italic; color: #444; background: #f4f1fa; } pre.output { background: #f3f6f3; }
pre.args { background: #f5f5f0; } pre.bad { background: #fff0ef; }
pre.said { font-family: inherit; font-size: 0.95em; background: #fafafa; }
p.call { margin: 0.6em 0 0.1em; color: #555; font-size: 0.85em; }
.pair { display: flex; flex-wrap: wrap; gap: 0 1.5em; align-items: flex-start; }
#every summary { font-weight: normal; }
svg.linked { width: 100%; height: auto; border: 1px solid #eee; } svg.linked a rect:hover { fill: rgba(0,0,0,0.15); }
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def num(value: float | None, digits: int = 3, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def pm(mean: float | None, se: float | None, digits: int = 3, signed: bool = False) -> str:
    """``mean ± se``, or the mean alone when there is no standard error."""
    text = num(mean, digits, signed)
    return text if mean is None or se is None else f"{text} ± {se:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    """An HTML table; cells are escaped unless given as ``Raw``."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            text = cell.html if isinstance(cell, Raw) else esc(cell)
            cells.append(f"<td class=\"num\">{text}</td>" if i in numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class Raw:
    """Already-safe HTML for a table cell."""

    def __init__(self, html_text: str):
        self.html = html_text


def image(chart: Chart) -> str:
    """The chart's PNG embedded as base64, so the report is one file."""
    data = base64.b64encode(chart.path.read_bytes()).decode("ascii")
    return f'<img alt="{esc(chart.title)}" src="data:image/png;base64,{data}">'


def linked_image(chart: Chart, boxes: list[tuple[str, str, int, int, int, int]]) -> str:
    """The chart's PNG inside an SVG with a link over each box ``(href, title, left, top, right,
    bottom)`` in the PNG's pixels; the SVG scales the picture and its links together."""
    from matplotlib.image import imread  # the PNG's size; matplotlib is loaded for the charts anyway

    height, width = imread(chart.path).shape[:2]
    data = base64.b64encode(chart.path.read_bytes()).decode("ascii")
    areas = "".join(f'<a href="{esc(link)}"><title>{esc(title)}</title><rect x="{left}" y="{top}" '
                    f'width="{right - left}" height="{bottom - top}" fill="transparent"/></a>'
                    for link, title, left, top, right, bottom in boxes)
    return (f'<svg class="linked" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(chart.title)}" '
            f'xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,{data}" width="{width}" '
            f'height="{height}"/>{areas}</svg>')


def diff_block(diff: str) -> str:
    if not diff.strip():
        return "<p class=\"note\">(no diff recorded)</p>"
    lines = []
    for line in diff.splitlines():
        css = ("add" if line.startswith("+") and not line.startswith("+++") else
               "del" if line.startswith("-") and not line.startswith("---") else
               "hunk" if line.startswith("@@") else "")
        lines.append(f'<span class="{css}">{esc(line)}</span>' if css else esc(line))
    return '<pre class="diff">' + "\n".join(lines) + "</pre>"


def section(title: str, note: str, body: str, anchor: str = "") -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    intro = f'<p class="note">{note}</p>' if note else ""
    return f"<section{ident}><h2>{esc(title)}</h2>{intro}{body}</section>"


def page(title: str, subtitle: str, sections: Sequence[str], top: str = "") -> str:
    """A whole page; ``top`` goes between the subtitle and the sections (the headline)."""
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><p class=\"note\">{subtitle}</p>{top}{''.join(sections)}</body></html>")

"""The report of a long climb, at 2 and at 200 tasks: the headline, links that lead somewhere,
a heatmap whose cells open their trials, readable meta-agent transcripts.

The run folders come from tests/fixtures/long_climb.py (the real ledger and transcript writers,
seeded numbers); ``scripts/report_screenshots.py`` photographs the same reports in Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from matplotlib.image import imread

from meta.report.charts import DPI, MAX_WIDTH
from meta.report.data import RunRecord
from meta.report.folder import write_report
from meta.report.headline import result_section
from meta.report.heatmap import heatmap_chart
from tests.fixtures.long_climb import write_long_climb


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def resolve(page: Path, link: str) -> Path:
    return (page.parent / unquote(link.split("#")[0])).resolve()


@pytest.mark.parametrize("tasks", [2, pytest.param(200, marks=pytest.mark.slow)])
def test_a_long_climb_reads_at_two_and_at_two_hundred_tasks(tmp_path, tasks):
    run = write_long_climb(tmp_path / "run", tasks=tasks, experiments=25, seed=1)
    report = write_report(run)
    html = report.path.read_text()
    headline = html[html.index('<div class="headline">'):html.index("<section")]
    assert re.search(r"held-out.*\d\.\d{3} → \d\.\d{3}.*95% interval", headline)
    assert "25</div>" in headline and "kept" in headline and re.search(r"\$\d+\.\d\d", headline)
    assert re.search(r"\d+\.\d h", headline)
    # Every relative link leads to a file or folder of the run, every anchor to an element.
    ids = set(re.findall(r'id="([^"]+)"', html))
    for link in links(html):
        if link.startswith("#"):
            assert link[1:] in ids, link
        elif not link.startswith("data:"):
            assert resolve(report.path, link).exists(), link
    # Each experiment links to the meta-agent's conversation, which links back.
    record = RunRecord.load(run)
    for row in record.experiments[1:]:
        page = run / "transcripts" / f"exp-{row.exp:04d}.html"
        assert f'href="transcripts/exp-{row.exp:04d}.html"' in html
        text = page.read_text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text  # model text, escaped
        assert "thinking" in text and "called <b>edit_agent</b>" in text
        assert all(resolve(page, link).exists() for link in links(text) if not link.startswith("#"))
    # Heatmap cells open their trials; at 200 tasks a row is still tall enough to read and to click.
    heat = report.charts["heatmap"]
    height, width = imread(heat.path).shape[:2]
    boxes = heat.data["boxes"]
    assert len(boxes) == len(heat.data["tasks"]) * len(heat.data["exps"])
    assert all(0 <= left < right <= width and 0 <= top < bottom <= height for _, _, left, top, right, bottom in boxes)
    assert min(bottom - top for _, _, _, top, _, bottom in boxes) >= 18
    assert width <= MAX_WIDTH * DPI + 40
    cell_links = re.findall(r'<a href="([^"]+)"><title>([^<]+)</title><rect', html)
    assert cell_links and all(resolve(report.path, link).is_dir() for link, _ in cell_links)
    assert all("trial(s); opens the first" in title for _, title in cell_links)
    assert report.charts["progress"].data["x"] == "usd"


def test_heatmap_boxes_cover_their_cells_in_the_png(tmp_path):
    heat = {"tasks": ["a", "b", "c"], "exps": [0, 1, 2], "statuses": ["baseline", "keep", "discard"],
            "values": [[0.0, 1.0, None], [0.0, 0.5, 1.0], [0.0, 1.0, 1.0]]}
    chart = heatmap_chart(heat, tmp_path / "heat.png")
    pixels = imread(chart.path)
    colour = {0.0: (0.65, 0.0, 0.15), 0.5: (1.0, 1.0, 0.75), 1.0: (0.0, 0.41, 0.22)}
    for i, j, left, top, right, bottom in chart.data["boxes"]:
        for x, y in ((left + 6, top + 6), (right - 6, bottom - 6)):  # near the corners: clear of the number
            r, g, b = pixels[y, x][:3]
            if heat["values"][i][j] is None:  # hatched light grey
                assert r == pytest.approx(g, abs=0.01) == pytest.approx(b, abs=0.01) and r > 0.8, (i, j)
            else:
                assert (r, g, b) == pytest.approx(colour[heat["values"][i][j]], abs=0.05), (i, j)


def test_the_change_from_a_baseline_of_zero_is_absolute(tmp_path):
    run = tmp_path / "run"
    write_long_climb(run, tasks=2, experiments=1, seed=3)
    record = RunRecord.load(run)
    record.events.append({"kind": "stop", "final": {"heldout": {
        "baseline": {"mean": 0.0, "se": 0.0, "trials": 3}, "final": {"mean": 1.0, "se": 0.0, "trials": 3},
        "change": 1.0, "change_pct": None}}})
    assert "<td>+1.000</td>" in result_section(record)

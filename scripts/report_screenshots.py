"""Screenshots of the climb report in a real browser, at 2, 30 and 200 tasks.

    .venv/bin/python scripts/report_screenshots.py [OUT_DIR]      (default /tmp/climb-report-screens)

Writes a day-long climb's run folder for each size (tests/fixtures/long_climb.py: the real
ledger and transcript writers, seeded numbers), draws its report, and has headless Chromium
(Debian's ``chromium`` package: ``apt-get install chromium``) photograph the report and one
meta-agent transcript page. The PNGs are cropped to the page's content; look at them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meta.report.folder import write_report  # noqa: E402
from tests.fixtures.long_climb import write_long_climb  # noqa: E402

SIZES = (2, 30, 200)
WIDTH, TALL = 1280, 16000
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    sys.exit("no Chromium found: apt-get install chromium")


def screenshot(page: Path, png: Path, height: int = TALL) -> Path:
    """The page at WIDTH pixels, cropped below its last non-white row."""
    from PIL import Image  # matplotlib's dependency, so it is installed

    with tempfile.TemporaryDirectory(prefix="climb-chromium-") as profile:
        subprocess.run([browser(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}",
                        f"--screenshot={png}", page.as_uri()], check=True, capture_output=True, timeout=180)
    image = Image.open(png).convert("RGB")
    grey = image.convert("L").point(lambda v: 255 if v > 250 else 0)
    bottom = next((y for y in range(image.height - 1, -1, -1)
                   if grey.crop((0, y, image.width, y + 1)).getextrema()[0] == 0), image.height - 1)
    image.crop((0, 0, image.width, min(bottom + 20, image.height))).save(png)
    return png


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for tasks in SIZES:
        run = out / f"climb-{tasks}-tasks"
        shutil.rmtree(run, ignore_errors=True)
        write_long_climb(run, tasks=tasks, experiments=25, seed=1)
        report = write_report(run)
        print(screenshot(report.path, out / f"report-{tasks}-tasks.png"))
    transcript = out / f"climb-{SIZES[1]}-tasks" / "transcripts" / "exp-0001.html"
    print(screenshot(transcript, out / "transcript.png", height=6000))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/climb-report-screens"))

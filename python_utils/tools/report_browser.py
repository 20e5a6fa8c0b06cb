"""The report in a browser: a script the page runs when it loads, counting the charts that
drew, and headless Chromium (Debian's `chromium` package) to load it, read those counts and take
a screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# Runs in the browser when the page loads: counts the charts that drew (an SVG with a size) and
# any script error, into data attributes a headless browser can read from the DOM.
CHECK_SCRIPT = """
window.addEventListener('error', () => {
  document.body.dataset.scriptErrors = String(Number(document.body.dataset.scriptErrors || 0) + 1);
});
window.addEventListener('load', () => {
  const charts = document.querySelectorAll('figure.chart');
  let drawn = 0;
  charts.forEach((chart) => {
    const svg = chart.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    if (box.width > 0 && box.height > 0 && svg.querySelectorAll('path, rect, text').length > 10) drawn += 1;
  });
  document.body.dataset.chartsExpected = String(charts.length);
  document.body.dataset.chartsRendered = String(drawn);
  document.body.dataset.scriptErrors = document.body.dataset.scriptErrors || '0';
});
"""


def chromium() -> str | None:
    """Headless Chromium (Debian's `chromium` package), or None."""
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def open_in_browser(report: Path, screenshot: Path | None = None) -> dict[str, str]:
    """Load the report in headless Chromium and return the body's data attributes the page's
    check script sets (chartsExpected, chartsRendered, scriptErrors); optionally save a
    full-page screenshot."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    url = report.resolve().as_uri()
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*flags, "--window-size=1280,8000", f"--screenshot={screenshot.resolve()}", url],
                       capture_output=True, timeout=120, check=True)  # fmt: skip
    body = re.search(r"<body([^>]*)>", dom)
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}

"""`make report`: one self-contained HTML file from a DuckDB build, for people who read the
results rather than query them. Charts are drawn with matplotlib as inline SVG, so the file
needs no network and no JavaScript library at view time; a few lines of script only check,
when the page loads, that every chart rendered (the browser test reads what they record).

Sections: segment profiles, the k search (inertia and silhouette per k), the RFM grid, the
frequency/recency P(alive) matrix, the backtest's calibration (predicted vs actual by decile)
and cumulative gains per model, the CLV distribution by tier, the quarantine by reason, and
the run history.
"""

from __future__ import annotations

import argparse
import html
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

TIERS = ("High", "Mid", "Low")
TIER_COLORS = {"High": "#1b7837", "Mid": "#7fbf7b", "Low": "#c2a5cf"}
MAX_MODELS = 5  # the best models by backtest MAE, plus the naive baselines


def _figure(width: float = 7.0, height: float = 3.6, columns: int = 1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.fonttype": "none", "svg.hashsalt": "clv"})
    return plt.subplots(1, columns, figsize=(width, height))


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def segment_profiles(con) -> str:
    frame = con.execute(
        "select segment_id, segment_name, customers, mean_monetary, mean_frequency"
        " from marts.customer_segment_profiles order by segment_id"
    ).df()
    fig, axes = _figure(8, 3.2, columns=2)
    labels = [f"{i} {n}" for i, n in zip(frame["segment_id"], frame["segment_name"], strict=True)]
    axes[0].barh(labels, frame["customers"], color="#4c78a8")
    axes[0].set_title("Customers per segment")
    axes[0].invert_yaxis()
    axes[1].barh(labels, frame["mean_monetary"], color="#f58518")
    axes[1].set_title("Mean net revenue per customer (USD)")
    axes[1].invert_yaxis()
    return _svg(fig)


def k_search(con) -> str:
    frame = con.execute(
        "select k, inertia, silhouette, is_chosen from ml.segmentation_metrics order by k"
    ).df()
    fig, ax = _figure()
    ax.plot(frame["k"], frame["inertia"], "o-", color="#4c78a8", label="inertia")
    ax.set_xlabel("k")
    ax.set_ylabel("inertia", color="#4c78a8")
    twin = ax.twinx()
    twin.plot(frame["k"], frame["silhouette"], "s--", color="#e45756", label="silhouette")
    twin.set_ylabel("silhouette", color="#e45756")
    chosen = frame.loc[frame["is_chosen"], "k"]
    for k in chosen:
        ax.axvline(k, color="grey", linestyle=":")
    ax.set_title(f"K search (chosen k = {', '.join(map(str, chosen))})")
    return _svg(fig)


def _heatmap(ax, matrix: pd.DataFrame, label: str, fmt: str) -> None:
    image = ax.imshow(matrix.to_numpy(float), cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns])
    ax.set_yticks(range(matrix.shape[0]), [str(i) for i in matrix.index])
    ax.figure.colorbar(image, ax=ax, label=label)
    if matrix.size <= 64:
        for (row, col), value in np.ndenumerate(matrix.to_numpy(float)):
            if not np.isnan(value):
                ax.text(col, row, format(value, fmt), ha="center", va="center", color="white", fontsize=7)


def rfm_grid(con) -> str:
    frame = con.execute(
        "select r_score, f_score, count(*) as customers from marts.customer_rfm group by all"
    ).df()
    matrix = (
        frame.pivot(index="f_score", columns="r_score", values="customers").sort_index().sort_index(axis=1)
    )
    fig, ax = _figure(6, 4)
    _heatmap(ax, matrix, "customers", ".0f")
    ax.set_xlabel("R score (5 = most recent)")
    ax.set_ylabel("F score (5 = most frequent)")
    ax.set_title("RFM grid: customers per (R, F) cell")
    return _svg(fig)


def p_alive_matrix(con) -> str:
    """Mean P(alive) by frequency and recency, as lifetimes' plot_probability_alive_matrix."""
    frame = con.execute(
        "select least(r.frequency, 15) as frequency, cast(floor(r.recency_days / 60.0) as integer) * 60 as recency,"
        " avg(p.p_alive) as p_alive from marts.customer_rfm r"
        " join marts.clv_predictions p using (customer_id) group by all"
    ).df()
    matrix = (
        frame.pivot(index="frequency", columns="recency", values="p_alive").sort_index().sort_index(axis=1)
    )
    fig, ax = _figure(7.5, 4.2)
    _heatmap(ax, matrix, "mean P(alive)", ".2f")
    ax.tick_params(axis="x", labelrotation=60)
    ax.set_xlabel("recency (days from first to last purchase, 60-day bins)")
    ax.set_ylabel("frequency (repeat purchase days, 15 = 15+)")
    ax.set_title("P(alive) by frequency and recency")
    return _svg(fig)


def _models(con) -> list[str]:
    ranked = con.execute(
        "select model_name from ml.clv_model_metrics where customer_group = 'all'"
        " and model_name in (select distinct model_name from ml.clv_backtest) order by mae"
    ).df()["model_name"]
    best = [m for m in ranked if not m.startswith("baseline")][:MAX_MODELS]
    return best + [m for m in ranked if m.startswith("baseline")]


def _backtest_by_model(con, highest_first: bool):
    """(model, its backtest rows ordered by predicted revenue; ties by customer_id) for the
    charted models."""
    frame = con.execute(
        "select model_name, customer_id, predicted_revenue, actual_revenue from ml.clv_backtest"
    ).df()
    for model in _models(con):
        rows = frame[frame["model_name"] == model]
        yield (
            model,
            rows.sort_values(["predicted_revenue", "customer_id"], ascending=[not highest_first, True]),
        )


def calibration(con) -> str:
    fig, ax = _figure()
    for model, rows in _backtest_by_model(con, highest_first=False):
        decile = np.arange(len(rows)) * 10 // max(len(rows), 1) + 1
        means = rows.groupby(decile)[["predicted_revenue", "actual_revenue"]].mean()
        ax.plot(means["predicted_revenue"], means["actual_revenue"], "o-", label=model, markersize=3)
    top = ax.get_xlim()[1]
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfect")
    ax.set_xlabel("mean predicted revenue in the decile (USD)")
    ax.set_ylabel("mean actual revenue (USD)")
    ax.set_title("Backtest calibration: predicted vs actual by decile of predicted revenue")
    ax.legend(fontsize=7)
    return _svg(fig)


def cumulative_gains(con) -> str:
    fig, ax = _figure()
    for model, rows in _backtest_by_model(con, highest_first=True):
        actual = rows["actual_revenue"].clip(lower=0).to_numpy(float)
        share = np.cumsum(actual) / max(actual.sum(), 1e-12)
        ax.plot(np.arange(1, len(rows) + 1) / len(rows), share, label=model)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    ax.set_xlabel("share of customers, highest predicted first")
    ax.set_ylabel("share of holdout revenue")
    ax.set_title("Backtest cumulative gains")
    ax.legend(fontsize=7)
    return _svg(fig)


def clv_by_tier(con) -> str:
    frame = con.execute("select clv_tier, predicted_clv from marts.clv_predictions").df()
    fig, ax = _figure()
    top = max(frame["predicted_clv"].quantile(0.99), 1.0)
    bins = np.linspace(0, top, 50)
    for tier in TIERS:
        values = frame.loc[frame["clv_tier"] == tier, "predicted_clv"].clip(upper=top)
        ax.hist(values, bins=bins, alpha=0.75, label=f"{tier} ({len(values):,})", color=TIER_COLORS[tier])
    ax.set_xlabel("predicted CLV (USD; the top 1% drawn at the 99th percentile)")
    ax.set_ylabel("customers")
    ax.set_title("CLV distribution by tier")
    ax.legend()
    return _svg(fig)


def quarantine(con) -> str:
    frame = con.execute(
        "select reject_reason, count(*) as lines from intermediate.int_order_lines_rejected group by all order by lines"
    ).df()
    fig, ax = _figure(7, max(1.8, 0.3 * len(frame) + 1))
    ax.barh(frame["reject_reason"], frame["lines"], color="#e45756")
    ax.set_xlabel("raw lines")
    ax.set_title("Quarantine by reason" if len(frame) else "Quarantine: no line was rejected")
    return _svg(fig)


def run_history(con) -> str:
    frame = con.execute(
        "select run_id, min(run_at) as run_at, any_value(published_mae) as published_mae,"
        " any_value(best_baseline_mae) as best_baseline_mae from ml.clv_model_runs group by run_id order by run_at"
    ).df()
    fig, ax = _figure(7, 3)
    x = np.arange(1, len(frame) + 1)
    ax.plot(x, frame["published_mae"], "o-", label="published model")
    ax.plot(x, frame["best_baseline_mae"], "s--", label="best naive baseline")
    ax.set_xticks(x)
    ax.set_xlabel("run (oldest first)")
    ax.set_ylabel("backtest MAE (USD)")
    ax.set_title(f"Run history: {len(frame)} run(s)")
    ax.legend()
    return _svg(fig)


CHARTS: dict[str, tuple[str, Callable]] = {
    "segment_profiles": ("Segment profiles", segment_profiles),
    "k_search": ("The k search", k_search),
    "rfm_grid": ("RFM grid", rfm_grid),
    "p_alive_matrix": ("P(alive) by frequency and recency", p_alive_matrix),
    "calibration": ("Backtest calibration", calibration),
    "cumulative_gains": ("Backtest cumulative gains", cumulative_gains),
    "clv_by_tier": ("CLV by tier", clv_by_tier),
    "quarantine": ("Quarantine", quarantine),
    "run_history": ("Run history", run_history),
}

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

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
figure.chart { margin: 1.5rem 0; } figure.chart svg { width: 100%; height: auto; }
table { border-collapse: collapse; } td, th { padding: 0.2rem 0.6rem; border-bottom: 1px solid #ddd; }
"""


def summary(con) -> list[tuple[str, str]]:
    (customers, revenue, clv, as_of) = con.execute(
        "select count(*), sum(predicted_revenue), sum(predicted_clv), max(as_of_date) from marts.clv_predictions"
    ).fetchone()
    published = con.execute(
        "select published_model, mae, validation_status from ml.clv_model_metrics"
        " where model_name = 'published' and customer_group = 'all'"
    ).fetchone()
    rows = [("as of", str(as_of)), ("customers with a prediction", f"{customers:,}"),
            ("predicted revenue (USD)", f"{revenue:,.0f}"), ("predicted CLV (USD)", f"{clv:,.0f}")]  # fmt: skip
    if published:
        rows += [("published model", str(published[0])), ("backtest MAE (USD)", f"{published[1]:,.2f}"),
                 ("validation", str(published[2]))]  # fmt: skip
    return rows


def render(database: Path) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        facts = summary(con)
        sections = [(key, title, draw(con)) for key, (title, draw) in CHARTS.items()]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    body = "".join(
        f'<section><h2>{html.escape(title)}</h2><figure class="chart" data-chart="{key}">{svg}</figure></section>'
        for key, title, svg in sections
    )
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CLV report</title>'
        f"<style>{STYLE}</style></head><body><h1>Customer lifetime value and segments</h1>"
        f'<p class="meta">From {html.escape(str(Path(database).resolve()))}, {made}</p>'
        f"<table>{table}</table>{body}<script>{CHECK_SCRIPT}</script></body></html>"
    )


def chromium() -> str | None:
    """Headless Chromium (Debian's `chromium` package), or None."""
    import shutil

    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def open_in_browser(report: Path, screenshot: Path | None = None) -> dict[str, str]:
    """Load the report in headless Chromium and return the body's data attributes the page's
    check script sets (chartsExpected, chartsRendered, scriptErrors); optionally save a
    full-page screenshot."""
    import re
    import subprocess

    browser = chromium()
    if browser is None:
        raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    url = report.resolve().as_uri()
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([*flags, "--window-size=1280,6000", f"--screenshot={screenshot.resolve()}", url],
                       capture_output=True, timeout=120, check=True)  # fmt: skip
    body = re.search(r"<body([^>]*)>", dom)
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}


def write_report(database: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(database), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--out", type=Path, default=Path("reports/clv_report.html"))
    parser.add_argument("--screenshot", type=Path, help="also save a full-page PNG (headless Chromium)")
    args = parser.parse_args()
    report = write_report(args.database, args.out)
    if args.screenshot:
        checked = open_in_browser(report, args.screenshot)
        print(f"Screenshot: {args.screenshot} (charts rendered: {checked.get('charts-rendered')})")
    print(f"Report: {report.resolve()}")


if __name__ == "__main__":
    main()

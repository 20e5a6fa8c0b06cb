"""`make report`: one self-contained HTML file from a DuckDB build, for people who read the
results rather than query them. Charts are drawn with matplotlib as inline SVG, so the file
needs no network and no JavaScript library at view time; a few lines of script only check,
when the page loads, that every chart rendered (the browser test reads what they record).

Written for a marketing lead: model names in words, one plain sentence under each chart saying
what it shows and what to do with it, the budget by tier and the actions by tier x segment as
tables, and a glossary. Sections: segment profiles, the k search, the RFM grid, the
frequency/recency P(alive) matrix, the backtest's calibration and cumulative gains of the
published model of each customer group against the naive baselines (dashed), the CLV
distribution by tier, the quarantine by reason, and the run history (published runs marked).
"""

from __future__ import annotations

import argparse
import html
import io
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from python_utils.reference import catalogue
from python_utils.tools.report_browser import CHECK_SCRIPT, open_in_browser

TIERS = ("High", "Mid", "Low")
TIER_COLORS = {"High": "#1b7837", "Mid": "#7fbf7b", "Low": "#c2a5cf"}
GROUP_WORDS = {
    "repeat": "repeat buyers", "one_time": "one-time buyers", "new": "new customers", "no_purchase": "no purchase yet"
}  # fmt: skip
STATUS_WORDS = {
    "validated": "validated: beats the naive baselines and totals within the error target in the backtest",
    "below_target": "below target: published, but not better than a naive baseline or outside the error target",
    "not_backtestable": "not backtestable: the history is too short to test it honestly",
}
GLOSSARY = {
    "CLV (customer lifetime value)": "The net revenue a customer is expected to bring over the horizon, "
    "discounted to today.",
    "CLV tier": "High = the top 20% of customers by predicted CLV, Low = the bottom 50%, Mid = the rest.",
    "P(alive)": "The chance that a customer still buys from you (has not silently left).",
    "Backtest": "The models are fitted on the history up to one horizon before the last date and judged on "
    "what customers really spent in that last horizon (the holdout).",
    "Naive baseline": "A rule of thumb a model must beat, e.g. 'each customer spends what they spent last "
    "period'.",
    "MAE (mean absolute error)": "The average distance, in US dollars, between a customer's predicted and "
    "actual holdout revenue. Lower is better.",
    "Gini": "How well the ranking separates big spenders from small ones: 0 = random, 1 = perfect.",
    "K search": "Segments are found by K-Means; the number of segments k is chosen where adding one more "
    "stops helping (inertia) and segments are well separated (silhouette).",
    "RFM": "Recency (how recently), Frequency (how often) and Monetary (how much) a customer bought.",
}


def model_words(name: str) -> str:
    """What a reader calls a model: its label in the catalogue (dbt_project.yml), else its name."""
    return catalogue.labels().get(name, name)


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


def published_models(con) -> dict[str, str]:
    """customer group -> the model published for it (from the backtest's published rows)."""
    rows = con.execute(
        "select customer_group, published_model from ml.clv_model_metrics"
        " where model_name = 'published' and customer_group <> 'all' order by customer_group"
    ).fetchall()
    return {group: model for group, model in rows if model}


def _lines_by_group(con, highest_first: bool):
    """Per customer group: (label, style, that group's backtest rows of the model ordered by
    predicted revenue, ties by customer_id) for its published model (solid) and each naive
    baseline (dashed). Lines that coincide are drawn once and labelled with both names."""
    frame = con.execute(
        "select customer_group, model_name, customer_id, predicted_revenue, actual_revenue from ml.clv_backtest"
    ).df()
    baselines = sorted(m for m in frame["model_name"].unique() if m.startswith("baseline"))
    for group, published in published_models(con).items():
        lines: list[tuple[str, str, pd.DataFrame]] = []
        seen: dict[tuple, int] = {}
        for model, style in [(published, "-"), *((b, "--") for b in baselines)]:
            rows = frame[(frame["customer_group"] == group) & (frame["model_name"] == model)]
            rows = rows.sort_values(["predicted_revenue", "customer_id"], ascending=[not highest_first, True])
            label = model_words(model) + (" (published)" if style == "-" else "")
            key = tuple(rows["customer_id"]) + tuple(rows["predicted_revenue"].round(6))
            if key in seen:  # a twin: name it on the line already drawn instead of hiding it
                index = seen[key]
                lines[index] = (f"{lines[index][0]} = {label}", *lines[index][1:])
                continue
            seen[key] = len(lines)
            lines.append((label, style, rows))
        yield group, lines


def _by_group_figure(con, highest_first: bool):
    groups = list(_lines_by_group(con, highest_first))
    fig, axes = _figure(8, 3.6, columns=max(len(groups), 1))
    return groups, fig, list(np.atleast_1d(axes))


def calibration(con) -> str:
    groups, fig, axes = _by_group_figure(con, highest_first=False)
    for ax, (group, lines) in zip(axes, groups, strict=False):
        for label, style, rows in lines:
            decile = np.arange(len(rows)) * 10 // max(len(rows), 1) + 1
            means = rows.groupby(decile)[["predicted_revenue", "actual_revenue"]].mean()
            ax.plot(means["predicted_revenue"], means["actual_revenue"], marker="o", linestyle=style,
                    label=label, markersize=3)  # fmt: skip
        top = max(ax.get_xlim()[1], ax.get_ylim()[1])
        ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfect")
        ax.set_xlabel("mean predicted revenue in the decile (USD)")
        ax.set_ylabel("mean actual revenue (USD)")
        ax.set_title(GROUP_WORDS.get(group, group))
        ax.legend(fontsize=6)
    return _svg(fig)


def cumulative_gains(con) -> str:
    groups, fig, axes = _by_group_figure(con, highest_first=True)
    for ax, (group, lines) in zip(axes, groups, strict=False):
        for label, style, rows in lines:
            actual = rows["actual_revenue"].clip(lower=0).to_numpy(float)
            share = np.cumsum(actual) / max(actual.sum(), 1e-12)
            ax.plot(np.arange(1, len(rows) + 1) / max(len(rows), 1), share, linestyle=style, label=label)
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random order")
        ax.set_xlabel("share of customers, highest predicted first")
        ax.set_ylabel("share of holdout revenue")
        ax.set_title(GROUP_WORDS.get(group, group))
        ax.legend(fontsize=6)
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


def run_history(con, published: frozenset[str] = frozenset()) -> str:
    frame = con.execute(
        "select run_id, min(run_at) as run_at, any_value(published_mae) as published_mae,"
        " any_value(best_baseline_mae) as best_baseline_mae from ml.clv_model_runs group by run_id order by run_at"
    ).df()
    fig, ax = _figure(7, 3)
    x = np.arange(1, len(frame) + 1)
    was_published = frame["run_id"].isin(published).to_numpy()
    ax.plot(x, frame["published_mae"], "-", color="#4c78a8", label="the model each build chose")
    ax.plot(x[was_published], frame["published_mae"][was_published], "o", color="#4c78a8",
            label="run published to BI")  # fmt: skip
    ax.plot(x[~was_published], frame["published_mae"][~was_published], "o", mfc="white", color="#4c78a8",
            label="run not published (failed, partial or refused)")  # fmt: skip
    ax.plot(x, frame["best_baseline_mae"], "s--", color="#e45756", label="best naive baseline")
    ax.set_xticks(x)
    ax.set_xlabel("build (oldest first)")
    ax.set_ylabel("backtest MAE (USD)")
    ax.set_title(f"Run history: {len(frame)} build(s), {int(was_published.sum())} published")
    ax.legend(fontsize=7)
    return _svg(fig)


# key -> (title, chart, what it shows and what to do with it)
CHARTS: dict[str, tuple[str, Callable, str]] = {
    "segment_profiles": ("Segment profiles", segment_profiles,
        "How many customers each behaviour segment holds and what they spent so far. The segment says how "
        "to speak to a customer (segment_action); the CLV tier says how much to invest (clv_action)."),
    "k_search": ("The k search", k_search,
        "How the number of segments was chosen (dotted line). Nothing to act on: it shows the segments "
        "come from the data, not from a fixed list."),
    "rfm_grid": ("RFM grid", rfm_grid,
        "Customers by how recently (R) and how often (F) they bought. The top-right cells are your best "
        "customers; big cells on the left are customers slipping away: reach them before they go."),
    "p_alive_matrix": ("Who is still active", p_alive_matrix,
        "The chance a customer still buys, by how often they bought (up) and how long they have been buying "
        "(right). Dark cells high up are regulars who went quiet: win-back offers pay most there."),
    "calibration": ("Can the predictions be taken at face value?", calibration,
        "For each customer group, its published model (solid) and the naive baselines (dashed): customers in "
        "ten equal groups by predicted revenue, each point the prediction against what they really spent in "
        "the backtest. Points on the dotted line mean predicted revenue can be used for budgets as it is."),
    "cumulative_gains": ("Does the model find the valuable customers?", cumulative_gains,
        "The share of real holdout revenue from the customers ranked highest. The further the solid line "
        "runs above the dashed baselines, the better the ranking: target campaigns from the top of the list."),
    "clv_by_tier": ("CLV by tier", clv_by_tier,
        "How predicted CLV spreads over customers in each tier. The High tier holds most of the future "
        "value: the budget table above splits spending by tier."),
    "quarantine": ("Order lines left out", quarantine,
        "Order lines the analysis did not use, by reason (docs/data.md says how to fix each). A long bar "
        "means the input needs a look before the numbers are trusted."),
    "run_history": ("Run history", run_history,
        "Each build's backtest error of the published model against the best naive baseline; filled dots "
        "reached BI. A rising line means the model does worse on newer data."),
}  # fmt: skip

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
figure.chart { margin: 1.5rem 0; } figure.chart svg { width: 100%; height: auto; }
figcaption { color: #333; margin-top: 0.3rem; } dt { font-weight: 600; margin-top: 0.4rem; }
table { border-collapse: collapse; } td, th { padding: 0.2rem 0.6rem; border-bottom: 1px solid #ddd; }
"""


def summary(con) -> list[tuple[str, str]]:
    (customers, revenue, clv, as_of, horizon) = con.execute(
        "select count(*), sum(predicted_revenue), sum(predicted_clv), max(as_of_date), max(horizon_days)"
        " from marts.clv_predictions"
    ).fetchone()
    rows = [("as of", str(as_of)[:10]), ("customers", f"{customers:,}"),
            (f"predicted revenue, next {horizon} days (USD)", f"{revenue:,.0f}"),
            ("predicted CLV, discounted (USD)", f"{clv:,.0f}")]  # fmt: skip
    statuses = dict(con.execute(
        "select customer_group, validation_status from ml.clv_model_metrics where model_name = 'published'"
    ).fetchall())  # fmt: skip
    for group, model in published_models(con).items():
        status = statuses.get(group, "")
        rows.append((f"model for {GROUP_WORDS.get(group, group)}",
                     f"{model_words(model)}; {STATUS_WORDS.get(status, status)}"))  # fmt: skip
    return rows


def _table(header: list[str], rows: list[tuple]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def budget_table(con) -> str:
    rows = con.execute(
        "select clv_tier, customers, budget, spend_per_customer, predicted_revenue"
        " from marts.clv_tier_budget order by clv_tier_rank"
    ).fetchall()
    return _table(["CLV tier", "customers", "budget (USD)", "per customer (USD)", "predicted revenue (USD)"],
                  [(t, f"{c:,}", f"{b:,.0f}", f"{s:,.2f}" if s is not None else "-", f"{r:,.0f}")
                   for t, c, b, s, r in rows])  # fmt: skip


def actions_table(con) -> str:
    rows = con.execute(
        "select p.clv_tier, s.segment_name, count(*) as customers, avg(p.predicted_clv),"
        " mode(p.clv_action), any_value(s.segment_action)"
        " from marts.clv_predictions p join marts.customer_segments s using (customer_id)"
        " group by p.clv_tier, p.clv_tier_rank, s.segment_name order by p.clv_tier_rank, customers desc"
    ).fetchall()
    return _table(["CLV tier", "segment", "customers", "mean CLV (USD)", "how much to invest (clv_action)",
                   "how to speak to them (segment_action)"],
                  [(t, n, f"{c:,}", f"{v:,.0f}", a, b) for t, n, c, v, a, b in rows])  # fmt: skip


def published_run_ids(published: Path | None) -> frozenset[str]:
    """The runs published to BI (published_runs in the published folder's DuckDB file)."""
    database = published / "clv_bi.duckdb" if published else None
    if database is None or not database.exists():
        return frozenset()
    with duckdb.connect(str(database), read_only=True) as con:
        return frozenset(r[0] for r in con.execute("select run_id from published_runs").fetchall())


def render(database: Path, published: Path | None = None) -> str:
    ids = published_run_ids(published)
    with duckdb.connect(str(database), read_only=True) as con:
        facts = summary(con)
        tables = [("Budget by CLV tier", budget_table(con),
                   "The marketing budget split by tier (seeds/tier_budget_split.csv): spend most per customer "
                   "where the future value is."),
                  ("Actions by tier and segment", actions_table(con),
                   "Every tier x segment cell with its two actions: the tier decides the spend, the segment "
                   "the message.")]  # fmt: skip
        sections = [(key, title, (partial(draw, published=ids) if key == "run_history" else draw)(con), text)
                    for key, (title, draw, text) in CHARTS.items()]  # fmt: skip
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    # what to do first (budget and actions), then the charts that explain it
    body = "".join(f"<section><h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>{content}</section>"
                   for title, content, text in tables)  # fmt: skip
    body += "".join(
        f'<section><h2>{html.escape(title)}</h2><figure class="chart" data-chart="{key}">{svg}'
        f"<figcaption>{html.escape(text)}</figcaption></figure></section>"
        for key, title, svg, text in sections
    )
    glossary = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in GLOSSARY.items())
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CLV report</title>'
        f"<style>{STYLE}</style></head><body><h1>Customer lifetime value and segments</h1>"
        f'<p class="meta">From {html.escape(str(Path(database).resolve()))}, {made}</p>'
        f'<table class="facts">{table}</table>{body}<section><h2>Glossary</h2><dl>{glossary}</dl></section>'
        f"<script>{CHECK_SCRIPT}</script></body></html>"
    )


def write_report(database: Path, out: Path, published: Path | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(database, published), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--out", type=Path, default=Path("reports/clv_report.html"))
    parser.add_argument("--published", type=Path, help="the published folder: marks the runs BI received")
    parser.add_argument("--screenshot", type=Path, help="also save a full-page PNG (headless Chromium)")
    args = parser.parse_args()
    report = write_report(args.database, args.out, args.published)
    if args.screenshot:
        checked = open_in_browser(report, args.screenshot)
        print(f"Screenshot: {args.screenshot} (charts rendered: {checked.get('charts-rendered')})")
    print(f"Report: {report.resolve()}")


if __name__ == "__main__":
    main()

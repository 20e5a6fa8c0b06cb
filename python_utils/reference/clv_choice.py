"""The test oracle, second half: clv_model_metrics (backtest metrics and gates per model and
customer group), the choice of model per group and clv_predictions, in pandas on the rows
python_utils.reference.clv.backtest scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from python_utils.clv import GROUPS, FittedModels
from python_utils.reference import catalogue, evaluation
from python_utils.reference.clv import add_bias_corrected, bias_ratios, model_names, score_models

PUBLISHED = "published"  # model_name of the chosen model's rows in clv_model_metrics


def _metrics_row(rows: pd.DataFrame, model_name: str, group: str) -> dict:
    row = {"model_name": model_name, "customer_group": group}
    row |= evaluation.revenue_metrics(rows["actual_revenue"], rows["predicted_revenue"])
    row["aggregate_transactions_error"] = evaluation.aggregate_error(
        rows["actual_purchases"], rows["predicted_purchases"]
    )
    return row


def published_predictions(backtest_rows: pd.DataFrame, chosen: dict[str, str]) -> pd.DataFrame:
    """Each customer's row of the model chosen for its group."""
    pick = backtest_rows["model_name"] == backtest_rows["customer_group"].map(chosen)
    return backtest_rows[pick]


METRIC_COLUMNS = (
    "model_name", "customer_group", "customers", "actual_revenue", "predicted_revenue",
    "aggregate_revenue_error", "aggregate_transactions_error", "mae", "rmse", "spearman",
    "normalized_gini", "decile_mape", "published_model", "interval_coverage", "is_baseline",
    "best_baseline_mae", "best_baseline_gini", "nominal_coverage", "validation_status", "validation_note",
)  # fmt: skip


def _validation(row: pd.Series, clv_max_aggregate_error: float) -> tuple[str, str]:
    """validated when total revenue is within clv_max_aggregate_error and MAE is no worse than the best
    naive baseline's (a published baseline meets that by definition); else below_target."""
    problems = []
    error = row["aggregate_revenue_error"]
    if not abs(error) <= clv_max_aggregate_error:
        problems.append(f"aggregate revenue error {error:+.1%} beyond {clv_max_aggregate_error:.0%}")
    if not row["mae"] <= row["best_baseline_mae"]:
        problems.append(
            f"MAE {row['mae']:.2f} above the best naive baseline's {row['best_baseline_mae']:.2f}"
        )
    chosen = str(row["published_model"])
    said = (
        [f"a naive baseline is published ({chosen}): no model beat it"]
        if chosen in catalogue.baselines()
        else []
    )
    return ("below_target" if problems else "validated"), "; ".join(said + problems)


def model_metrics(
    backtest_rows: pd.DataFrame,
    clv_interval_coverage: float,
    clv_selection_max_aggregate_error: float,
    random_seed: int = 42,
    clv_max_aggregate_error: float = 0.10,
    no_backtest_reason: str = "",
    publishable: set[str] | None = None,
) -> pd.DataFrame:
    """Metrics per model and group (repeat, one_time, new, all); the published choice per group
    as model ``published`` with its validation_status; the best baseline's MAE and Gini beside
    each row.

    Choice per group, baselines included, among the ``publishable`` models (those fitted at
    as_of_date; None: all): the lowest MAE among candidates whose |aggregate
    revenue error| is within ``clv_selection_max_aggregate_error`` (MAE alone rewards predicting too little
    on zero-heavy revenue); if none is within it, the smallest |aggregate error|. Without
    backtest rows, the default model is published per group as not_backtestable."""
    if backtest_rows.empty:
        rows = [
            {"model_name": PUBLISHED, "customer_group": group,
             "published_model": json.dumps(dict.fromkeys(GROUPS, catalogue.default_model())) if group == "all" else catalogue.default_model(),
             "is_baseline": False, "nominal_coverage": clv_interval_coverage, "validation_status": "not_backtestable",
             "validation_note": no_backtest_reason or "no customer to backtest on"}
            for group in (*GROUPS, "all")
        ]  # fmt: skip
        return pd.DataFrame(rows).reindex(columns=METRIC_COLUMNS)
    rows = []
    for (name, group), part in backtest_rows.groupby(["model_name", "customer_group"]):
        rows.append(_metrics_row(part, name, group))
    for name, part in backtest_rows.groupby("model_name"):
        if (
            part["customer_group"].nunique() == backtest_rows["customer_group"].nunique()
            or name in catalogue.baselines()
        ):
            rows.append(_metrics_row(part, name, "all"))
    metrics = pd.DataFrame(rows)
    chosen = {}
    for group in GROUPS:
        options = metrics[
            (metrics["customer_group"] == group) & metrics["model_name"].isin(catalogue.candidates()[group])
        ]
        options = options[options["aggregate_revenue_error"].notna()]
        if publishable is not None:  # the models fitted at as_of_date
            options = options[options["model_name"].isin(publishable)]
        unbiased = options[options["aggregate_revenue_error"].abs() <= clv_selection_max_aggregate_error]
        if len(unbiased):
            chosen[group] = unbiased.loc[unbiased["mae"].idxmin(), "model_name"]
        elif len(options):
            # errors within a millionth are a tie, which the lower MAE breaks (then the name)
            options = options.assign(error=options["aggregate_revenue_error"].abs().round(6))
            chosen[group] = options.sort_values(["error", "mae", "model_name"]).iloc[0]["model_name"]
        elif (backtest_rows["customer_group"] == group).any():
            chosen[group] = catalogue.default_model()  # nothing to compare (no holdout revenue): the default
    published = published_predictions(backtest_rows, chosen)
    extra = []
    for group, part in [*published.groupby("customer_group"), ("all", published)]:
        row = _metrics_row(part, PUBLISHED, group)
        row["published_model"] = chosen.get(group, "by group") if group != "all" else json.dumps(chosen)
        row["interval_coverage"] = evaluation.cross_fitted_coverage(
            part["actual_revenue"],
            part["predicted_revenue"],
            clv_interval_coverage,
            evaluation.seeded_half(part["customer_id"], random_seed),
        )
        extra.append(row)
    metrics = pd.concat([metrics, pd.DataFrame(extra)], ignore_index=True)
    metrics["is_baseline"] = metrics["model_name"].isin(catalogue.baselines())
    best = (
        metrics[metrics["is_baseline"]]
        .groupby("customer_group")
        .agg(best_baseline_mae=("mae", "min"), best_baseline_gini=("normalized_gini", "max"))
    )
    metrics = metrics.join(best, on="customer_group")
    metrics["nominal_coverage"] = clv_interval_coverage
    is_published = metrics["model_name"] == PUBLISHED
    judged = metrics[is_published].apply(
        _validation, axis=1, clv_max_aggregate_error=clv_max_aggregate_error, result_type="expand"
    )
    metrics.loc[is_published, ["validation_status", "validation_note"]] = judged.to_numpy()
    return metrics.reindex(columns=METRIC_COLUMNS)


def chosen_models(metrics: pd.DataFrame) -> dict[str, str]:
    rows = metrics[(metrics["model_name"] == PUBLISHED) & metrics["customer_group"].isin(GROUPS)]
    return dict(zip(rows["customer_group"], rows["published_model"], strict=True))


def discount_factor(horizon_days: int, annual_rate: float) -> float:
    """Mean discount over a horizon with revenue spread evenly across it (continuous)."""
    years = horizon_days / 365.0
    if annual_rate <= 0:
        return 1.0
    return float((1 - (1 + annual_rate) ** -years) / (years * np.log1p(annual_rate)))


def clv_tiers(values: np.ndarray, high_share: float, low_share: float) -> np.ndarray:
    pct = pd.Series(values).rank(pct=True, method="average").to_numpy()
    return np.where(pct > 1 - high_share, "High", np.where(pct <= low_share, "Low", "Mid"))


@dataclass(frozen=True)
class PredictionSettings:
    """What clv_predictions needs besides data; each field is the var of the same name."""

    horizon_days: int
    discount_rate: float
    clv_tier_high_share: float
    clv_tier_low_share: float
    clv_interval_coverage: float
    model_version: str
    as_of_date: object


VALIDATION_COLUMNS = {  # prediction column: clv_model_metrics column (the published row of the group)
    "validation_status": "validation_status",
    "validation_note": "validation_note",
    "backtest_mae": "mae",
    "backtest_aggregate_error": "aggregate_revenue_error",
    "backtest_gini": "normalized_gini",
    "best_baseline_mae": "best_baseline_mae",
}


def predictions(
    fitted: FittedModels,
    scoring: pd.DataFrame,
    backtest_rows: pd.DataFrame,
    metrics: pd.DataFrame,
    rfm: pd.DataFrame,
    actions: pd.DataFrame,
    settings: PredictionSettings,
) -> pd.DataFrame:
    """clv_predictions: one row per customer of the scoring snapshot, each with the backtest
    evidence (validation_status and figures) of the model published for its group."""
    horizon = int(settings.horizon_days)
    scores = score_models(fitted, scoring, horizon)
    # btyd_corrected at as_of_date: btyd's ratio of actual to predicted revenue in the backtest.
    btyd_rows = metrics[(metrics["model_name"] == "btyd") & metrics["customer_group"].isin(GROUPS)]
    ratios = bias_ratios(
        btyd_rows["customer_group"], btyd_rows["actual_revenue"], btyd_rows["predicted_revenue"]
    )
    scores = add_bias_corrected(scores, ratios)
    chosen = chosen_models(metrics)
    names = model_names(scores)
    model = scores["customer_group"].map(chosen).where(lambda m: m.isin(names), catalogue.default_model())
    revenue = np.choose(
        model.map({name: i for i, name in enumerate(names)}).to_numpy(),
        [scores[f"revenue_{name}"].to_numpy(float) for name in names],
    )
    revenue = np.nan_to_num(revenue, nan=0.0).clip(min=0)
    lower, upper = revenue.copy(), revenue.copy()
    published = published_predictions(backtest_rows, chosen)
    for group in GROUPS:
        mask = (scores["customer_group"] == group).to_numpy()
        history = published[published["customer_group"] == group]
        if not mask.any() or history.empty:
            continue  # no backtest residuals: the interval is the estimate itself
        edges = evaluation.interval_bins(history["predicted_revenue"])
        offsets = evaluation.conformal_offsets(
            history["actual_revenue"], history["predicted_revenue"], edges, settings.clv_interval_coverage
        )
        lower[mask], upper[mask] = evaluation.apply_offsets(revenue[mask], edges, offsets)
    factor = discount_factor(horizon, float(settings.discount_rate))
    out = scores[
        ["customer_id", "customer_group", "p_alive", "expected_purchases", "expected_avg_order_value"]
    ].copy()
    out["p_return_within_horizon"] = scores.get("p_return_within_horizon", np.nan)
    out["predicted_revenue"] = revenue
    out["predicted_clv"] = revenue * factor
    out["clv_lower"] = np.clip(np.minimum(lower, revenue), 0, None) * factor
    out["clv_upper"] = np.maximum(upper, revenue) * factor
    out["clv_tier"] = clv_tiers(
        out["predicted_clv"].to_numpy(), settings.clv_tier_high_share, settings.clv_tier_low_share
    )
    out = out.merge(rfm[["customer_id", "rfm_segment", "rfm_value_level"]], on="customer_id", how="left")
    out["segment_mismatch"] = out["rfm_value_level"] != out["clv_tier"]
    out = out.merge(
        actions[["clv_tier", "customer_group", "clv_action"]],
        on=["clv_tier", "customer_group"],
        how="left",
    )
    evidence = metrics[metrics["model_name"] == PUBLISHED].set_index("customer_group")
    for column, source in VALIDATION_COLUMNS.items():
        out[column] = out["customer_group"].map(evidence[source])
    out["model_name"] = model.to_numpy()
    out["model_version"] = settings.model_version
    out["as_of_date"] = settings.as_of_date
    out["horizon_days"] = horizon
    return out.drop(columns=["rfm_value_level"])

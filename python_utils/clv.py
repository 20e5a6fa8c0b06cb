"""CLV: fit every model, backtest them against naive baselines, choose, and publish.

Frames are int_customer_snapshots rows (one per customer) of one snapshot: features at the
snapshot date and, where complete, ``target_revenue`` / ``target_purchases`` in the horizon after
it. Times in days, money in US dollars.

- repeat buyers (frequency > 0) and one-time buyers are scored by every model that applies;
- ``btyd`` = BG/NBD purchases x Gamma-Gamma spend; ``cox`` = P(second purchase in horizon) x
  purchases per returning customer x Gamma-Gamma prior spend (one-time buyers only);
  ``xgboost`` = regression trained on the snapshot before; blends average two of them;
- naive baselines: revenue of the last horizon repeated, and the historical spend rate x horizon.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from python_utils import btyd, evaluation, regression, survival

GROUPS = ("repeat", "one_time")
CANDIDATES = {
    "repeat": ("btyd", "xgboost", "blend_btyd_xgboost"),
    "one_time": ("btyd", "cox", "xgboost", "blend_btyd_xgboost", "blend_cox_xgboost"),
}
BASELINES = ("baseline_last_period", "baseline_spend_rate")
PUBLISHED = "published"


def customer_group(frequency) -> np.ndarray:
    return np.where(np.asarray(frequency) > 0, "repeat", "one_time")


@dataclass
class FittedModels:
    bgnbd: btyd.FitResult
    gamma_gamma: btyd.FitResult
    cox: survival.CoxFit | None
    xgboost: regression.XgbFit | None
    purchases_given_return: float
    notes: list[str] = field(default_factory=list)

    def to_table(self) -> pd.DataFrame:
        """One row per fitted model: parameters as JSON, rows, seconds, convergence."""
        rows = []
        for name, fit in (("bgnbd", self.bgnbd), ("gamma_gamma", self.gamma_gamma)):
            rows.append(
                {
                    "model_name": name,
                    "parameters_json": json.dumps(fit.params),
                    "rows_used": fit.rows,
                    "distinct_rows": fit.distinct_rows,
                    "fit_seconds": fit.seconds,
                    "converged": fit.converged,
                    "penalizer": fit.penalizer,
                    "note": fit.note,
                }
            )
        if self.cox is not None:
            cox = self.cox.to_dict() | {"purchases_given_return": self.purchases_given_return}
            rows.append(
                {
                    "model_name": "cox",
                    "parameters_json": json.dumps(cox),
                    "rows_used": self.cox.rows,
                    "distinct_rows": self.cox.rows,
                    "fit_seconds": self.cox.seconds,
                    "converged": True,
                    "penalizer": self.cox.penalizer,
                    "note": f"concordance {self.cox.concordance:.3f}",
                }
            )
        if self.xgboost is not None:
            xgb_fit = self.xgboost
            rows.append(
                {
                    "model_name": "xgboost",
                    "parameters_json": json.dumps(
                        {"model_json": xgb_fit.model_json, "levels": xgb_fit.levels, "seed": xgb_fit.seed}
                    ),
                    "rows_used": xgb_fit.rows,
                    "distinct_rows": xgb_fit.rows,
                    "fit_seconds": xgb_fit.seconds,
                    "converged": True,
                    "penalizer": 0.0,
                    "note": "",
                }
            )
        table = pd.DataFrame(rows)
        table["notes"] = "; ".join(self.notes)
        return table

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> FittedModels:
        by_name = {row["model_name"]: row for _, row in table.iterrows()}

        def result(name: str) -> btyd.FitResult:
            row = by_name[name]
            return btyd.FitResult(
                params=json.loads(row["parameters_json"]),
                penalizer=float(row["penalizer"]),
                converged=bool(row["converged"]),
                rows=int(row["rows_used"]),
                distinct_rows=int(row["distinct_rows"]),
                seconds=float(row["fit_seconds"]),
                note=row["note"],
            )

        cox, xgb_fit, per_return = None, None, 1.0
        if "cox" in by_name:
            values = json.loads(by_name["cox"]["parameters_json"])
            per_return = values.pop("purchases_given_return")
            cox = survival.CoxFit.from_dict(values)
        if "xgboost" in by_name:
            values = json.loads(by_name["xgboost"]["parameters_json"])
            row = by_name["xgboost"]
            xgb_fit = regression.XgbFit(
                values["model_json"],
                values["levels"],
                int(row["rows_used"]),
                float(row["fit_seconds"]),
                values["seed"],
            )
        return cls(result("bgnbd"), result("gamma_gamma"), cox, xgb_fit, per_return)


def fit_models(
    history: pd.DataFrame, previous: pd.DataFrame | None, seed: int = 42, xgboost_sample_size: int = 250_000
) -> FittedModels:
    """Fit BTYD and Cox on ``history`` (one snapshot) and XGBoost on ``previous`` (the snapshot
    one horizon earlier, whose targets end at ``history``'s date)."""
    notes = []
    bgnbd, gamma_gamma = btyd.fit_btyd(
        history["frequency"], history["recency_days"], history["t_days"], history["monetary_value"]
    )
    cox = xgb_fit = None
    try:
        cox = survival.fit_cox(history, seed=seed)
    except Exception as error:  # e.g. no repeat buyers yet: no events to fit
        notes.append(f"cox not fitted: {error}")
    per_return = 1.0
    if previous is not None and len(previous):
        returned = previous[(previous["frequency"] == 0) & (previous["target_purchases"] > 0)]
        if len(returned):
            per_return = float(returned["target_purchases"].mean())
        try:
            xgb_fit = regression.fit_xgboost(previous, seed=seed, sample_size=xgboost_sample_size)
        except Exception as error:
            notes.append(f"xgboost not fitted: {error}")
    else:
        notes.append("xgboost not fitted: no earlier snapshot with a complete horizon")
    return FittedModels(bgnbd, gamma_gamma, cox, xgb_fit, per_return, notes)


def return_rate(frame: pd.DataFrame) -> np.ndarray:
    """Each customer's expected share of spend that comes back as returns or credits (0..1).

    Purchase models predict what customers spend; revenue is net of what they return. A
    customer's own rate (returned_amount / purchase spend) is noisy for small spenders, so it
    is shrunk toward the population's rate with the weight of one median purchase:
    ``(returned + w * R) / (spend + w)``. Frames without return columns return 0."""
    if "returned_amount" not in frame:
        return np.zeros(len(frame))
    returned = frame["returned_amount"].fillna(0).to_numpy(float).clip(min=0)
    spend = frame["total_net_revenue"].to_numpy(float) + returned  # purchase spend
    spend = spend.clip(min=0)
    population = returned.sum() / spend.sum() if spend.sum() > 0 else 0.0
    weight = float(np.median(spend[spend > 0])) if (spend > 0).any() else 1.0
    return np.clip((returned + weight * population) / (spend + weight), 0.0, 1.0)


def score_models(fitted: FittedModels, frame: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """Per customer: BTYD quantities and each model's predicted revenue (and purchases).
    Revenue is net: purchase models' spend is reduced by the customer's return rate."""
    out = pd.DataFrame({"customer_id": frame["customer_id"].to_numpy()})
    out["customer_group"] = customer_group(frame["frequency"])
    pred = btyd.predict_btyd(
        fitted.bgnbd.params,
        fitted.gamma_gamma.params,
        frame["frequency"],
        frame["recency_days"],
        frame["t_days"],
        frame["monetary_value"],
        horizon_days,
    )
    out[["p_alive", "expected_purchases", "expected_avg_order_value"]] = pred[
        ["p_alive", "expected_purchases", "expected_avg_order_value"]
    ].to_numpy()
    kept_share = 1.0 - return_rate(frame)
    out["revenue_btyd"] = pred["predicted_revenue"].to_numpy() * kept_share
    out["purchases_btyd"] = pred["expected_purchases"].to_numpy()
    one_time = out["customer_group"].eq("one_time").to_numpy()
    if fitted.cox is not None:
        p_return = survival.probability_of_return(fitted.cox, frame, horizon_days)
        prior_spend = btyd.gamma_gamma_model(fitted.gamma_gamma.params).conditional_expected_average_profit(
            0, 0
        )
        out["p_return_within_horizon"] = np.where(one_time, p_return, np.nan)
        out["purchases_cox"] = np.where(one_time, p_return * fitted.purchases_given_return, np.nan)
        out["revenue_cox"] = out["purchases_cox"] * float(prior_spend) * kept_share
    if fitted.xgboost is not None:
        out["revenue_xgboost"] = regression.predict_xgboost(fitted.xgboost, frame)
        out["revenue_blend_btyd_xgboost"] = (out["revenue_btyd"] + out["revenue_xgboost"]) / 2
        if fitted.cox is not None:
            out["revenue_blend_cox_xgboost"] = (out["revenue_cox"] + out["revenue_xgboost"]) / 2
    watched = np.maximum(frame["t_days"].to_numpy(float), horizon_days)
    out["revenue_baseline_last_period"] = frame["revenue_last_horizon"].to_numpy(float)
    out["purchases_baseline_last_period"] = frame["purchases_last_horizon"].to_numpy(float)
    # Historical rate x horizon; customers younger than the horizon are not extrapolated.
    out["revenue_baseline_spend_rate"] = frame["total_net_revenue"].to_numpy(float) * horizon_days / watched
    out["purchases_baseline_spend_rate"] = (frame["frequency"].to_numpy(float) + 1) * horizon_days / watched
    return out


def model_names(scores: pd.DataFrame) -> list[str]:
    return [c.removeprefix("revenue_") for c in scores.columns if c.startswith("revenue_")]


def backtest(
    calibration: pd.DataFrame,
    training: pd.DataFrame | None,
    horizon_days: int,
    seed: int = 42,
    xgboost_sample_size: int = 250_000,
):
    """Fit on the calibration snapshot, predict its holdout horizon; one row per customer x model."""
    fitted = fit_models(calibration, training, seed, xgboost_sample_size)
    scores = score_models(fitted, calibration, horizon_days)
    actual = calibration[["target_revenue", "target_purchases"]].to_numpy(float)
    parts = []
    for name in model_names(scores):
        purchases = scores.get(f"purchases_{name}", pd.Series(np.nan, index=scores.index))
        part = pd.DataFrame(
            {
                "customer_id": scores["customer_id"],
                "customer_group": scores["customer_group"],
                "model_name": name,
                "predicted_revenue": scores[f"revenue_{name}"].to_numpy(float),
                "predicted_purchases": purchases.to_numpy(float),
                "actual_revenue": actual[:, 0],
                "actual_purchases": actual[:, 1],
            }
        )
        parts.append(part.dropna(subset=["predicted_revenue"]))
    return pd.concat(parts, ignore_index=True), fitted


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


def model_metrics(
    backtest_rows: pd.DataFrame, coverage: float, max_aggregate_error: float, seed: int = 42
) -> pd.DataFrame:
    """Metrics per model and group (repeat, one_time, all); the published choice per group as
    model ``published``; the best baseline's MAE and Gini beside each row.

    Choice per group: the lowest MAE among candidates whose |aggregate revenue error| is within
    ``max_aggregate_error`` (MAE alone rewards predicting too little on zero-heavy revenue);
    if none is within it, the smallest |aggregate error|."""
    rows = []
    for (name, group), part in backtest_rows.groupby(["model_name", "customer_group"]):
        rows.append(_metrics_row(part, name, group))
    for name, part in backtest_rows.groupby("model_name"):
        if part["customer_group"].nunique() == len(GROUPS) or name in BASELINES:
            rows.append(_metrics_row(part, name, "all"))
    metrics = pd.DataFrame(rows)
    chosen = {}
    for group in GROUPS:
        options = metrics[
            (metrics["customer_group"] == group) & metrics["model_name"].isin(CANDIDATES[group])
        ]
        unbiased = options[options["aggregate_revenue_error"].abs() <= max_aggregate_error]
        if len(unbiased):
            chosen[group] = unbiased.loc[unbiased["mae"].idxmin(), "model_name"]
        elif len(options):
            chosen[group] = options.loc[options["aggregate_revenue_error"].abs().idxmin(), "model_name"]
    published = published_predictions(backtest_rows, chosen)
    extra = []
    for group, part in [*published.groupby("customer_group"), ("all", published)]:
        row = _metrics_row(part, PUBLISHED, group)
        row["published_model"] = chosen.get(group, "by group") if group != "all" else json.dumps(chosen)
        row["interval_coverage"] = evaluation.cross_fitted_coverage(
            part["actual_revenue"], part["predicted_revenue"], coverage, seed=seed
        )
        extra.append(row)
    metrics = pd.concat([metrics, pd.DataFrame(extra)], ignore_index=True)
    metrics["is_baseline"] = metrics["model_name"].isin(BASELINES)
    best = (
        metrics[metrics["is_baseline"]]
        .groupby("customer_group")
        .agg(best_baseline_mae=("mae", "min"), best_baseline_gini=("normalized_gini", "max"))
    )
    metrics = metrics.join(best, on="customer_group")
    metrics["nominal_coverage"] = coverage
    return metrics


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


def publish(
    fitted: FittedModels,
    scoring: pd.DataFrame,
    backtest_rows: pd.DataFrame,
    metrics: pd.DataFrame,
    rfm: pd.DataFrame,
    actions: pd.DataFrame,
    settings: dict,
) -> pd.DataFrame:
    """clv_predictions: one row per customer of the scoring snapshot.

    settings: horizon_days, discount_rate, tier_high_share, tier_low_share, coverage,
    model_version, as_of_date.
    """
    horizon = int(settings["horizon_days"])
    scores = score_models(fitted, scoring, horizon)
    chosen = chosen_models(metrics)
    model = scores["customer_group"].map(chosen).fillna("btyd")
    names = model_names(scores)
    revenue = np.choose(
        model.map({name: i for i, name in enumerate(names)}).to_numpy(),
        [scores[f"revenue_{name}"].to_numpy(float) for name in names],
    )
    lower = np.zeros(len(scores))
    upper = np.zeros(len(scores))
    published = published_predictions(backtest_rows, chosen)
    for group in GROUPS:
        mask = (scores["customer_group"] == group).to_numpy()
        history = published[published["customer_group"] == group]
        if not mask.any() or history.empty:
            lower[mask], upper[mask] = revenue[mask], revenue[mask]
            continue
        edges = evaluation.interval_bins(history["predicted_revenue"])
        offsets = evaluation.conformal_offsets(
            history["actual_revenue"], history["predicted_revenue"], edges, settings["coverage"]
        )
        lower[mask], upper[mask] = evaluation.apply_offsets(revenue[mask], edges, offsets)
    factor = discount_factor(horizon, float(settings["discount_rate"]))
    out = scores[
        ["customer_id", "customer_group", "p_alive", "expected_purchases", "expected_avg_order_value"]
    ].copy()
    out["p_return_within_horizon"] = scores.get("p_return_within_horizon", np.nan)
    out["predicted_revenue"] = revenue
    out["predicted_clv"] = revenue * factor
    out["clv_lower"] = lower * factor
    out["clv_upper"] = upper * factor
    out["clv_tier"] = clv_tiers(
        out["predicted_clv"].to_numpy(), settings["tier_high_share"], settings["tier_low_share"]
    )
    out = out.merge(rfm[["customer_id", "rfm_segment", "rfm_value_level"]], on="customer_id", how="left")
    out["segment_mismatch"] = out["rfm_value_level"] != out["clv_tier"]
    out = out.merge(
        actions[["clv_tier", "customer_group", "recommended_action"]],
        on=["clv_tier", "customer_group"],
        how="left",
    )
    out["model_name"] = model.to_numpy()
    out["model_version"] = settings["model_version"]
    out["as_of_date"] = settings["as_of_date"]
    out["horizon_days"] = horizon
    return out.drop(columns=["rfm_value_level"])

"""CLV: fit every model, backtest them against naive baselines, choose, and publish.

Frames are int_customer_snapshots rows (one per customer) of one snapshot: features at the
snapshot date and, where complete, ``target_revenue`` / ``target_purchases`` in the horizon after
it. Times in days, money in US dollars (net of returns).

- repeat buyers (frequency > 0) and one-time buyers are scored by every model that applies;
- ``btyd`` = BG/NBD purchases x Gamma-Gamma spend x (1 - return rate); ``*_seasonal`` models
  reshape btyd, XGBoost and their blend by the calendar (python_utils.seasonality: the window's
  factor, over the factor of the window XGBoost learned from); ``btyd_own_spend`` uses a repeat
  buyer's own mean spend once it has OWN_SPEND_MIN_FREQUENCY repeat purchase days;
  ``btyd_corrected`` scales btyd by the ratio of actual to predicted revenue that its refit
  one window earlier had (per group, clipped to [0.5, 2]);
  ``cox`` = P(second purchase in horizon) x purchases per returning customer x prior spend
  (one-time buyers only); ``xgboost`` = regression trained on the snapshot before; blends
  average two of them;
- naive baselines: revenue of the last horizon repeated, and the historical spend rate x
  horizon. They are candidates too: when one wins the backtest it is published, and said so.

Fallbacks (degenerate shops): BG/NBD that cannot be fitted gives the spend-rate purchases and
p_alive 1; Gamma-Gamma that cannot be fitted gives the shop's mean spend per purchase day;
Cox and XGBoost that cannot be fitted are left out with a note. Without an honest backtest the
default model (btyd, with its fallbacks) is published as not_backtestable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from python_utils import btyd, evaluation, fit_rows, regression, seasonality, survival

GROUPS = ("repeat", "one_time")
BASELINES = ("baseline_last_period", "baseline_spend_rate")
SEASONAL = ("btyd_seasonal", "xgboost_seasonal", "blend_seasonal")
CANDIDATES = {
    "repeat": ("btyd", "btyd_own_spend", "btyd_corrected", "xgboost", "blend_btyd_xgboost", *SEASONAL, *BASELINES),
    "one_time": ("btyd", "btyd_corrected", "cox", "xgboost", "blend_btyd_xgboost", "blend_cox_xgboost", *SEASONAL,
                 *BASELINES),
}  # fmt: skip
DEFAULT_MODEL = "btyd"  # published where there is no backtest to choose by
OWN_SPEND_MIN_FREQUENCY = 3
PUBLISHED = "published"


def customer_group(frequency) -> np.ndarray:
    return np.where(np.asarray(frequency) > 0, "repeat", "one_time")


def snapshot_date(frame: pd.DataFrame):
    """The date a frame's features are taken at (snapshot_date, or as_of_date for customer_rfm)."""
    column = "snapshot_date" if "snapshot_date" in frame else "as_of_date"
    return pd.Timestamp(frame[column].max()) if len(frame) and column in frame else None


def purchase_spend(frame: pd.DataFrame) -> np.ndarray:
    """Each customer's purchase spend before returns (net revenue + returned), US dollars, >= 0."""
    returned = frame["returned_amount"].fillna(0).to_numpy(float) if "returned_amount" in frame else 0.0
    return (frame["total_net_revenue"].to_numpy(float) + np.clip(returned, 0, None)).clip(min=0)


def mean_spend(frame: pd.DataFrame) -> float:
    """The shop's mean purchase spend per purchase day (before returns), US dollars."""
    days = (frame["frequency"].to_numpy(float) + 1).sum()
    return float(purchase_spend(frame).sum() / days) if days > 0 else 0.0


@dataclass
class FittedModels:
    bgnbd: btyd.FitResult  # converged False: not fitted, predictions fall back
    gamma_gamma: btyd.FitResult
    cox: survival.CoxFit | None
    xgboost: regression.XgbFit | None
    purchases_given_return: float
    mean_spend: float = 0.0
    seasonal_index: list[float] | None = None
    seasonal_note: str = ""
    notes: list[str] = field(default_factory=list)

    def to_table(self, scoring_factors: dict | None = None) -> pd.DataFrame:
        """One row per fitted model (fit_rows.COLUMNS), each written by the fit itself;
        ``scoring_factors`` (seasonal factors the warehouse applies) join the calendar's row."""
        season = {"monthly_index": self.seasonal_index} | (scoring_factors or {})
        rows = [
            self.bgnbd.to_row("bgnbd"),
            self.gamma_gamma.to_row("gamma_gamma", mean_spend=self.mean_spend),
            fit_rows.model_row("seasonality", season, 0, 0.0, converged=self.seasonal_index is not None,
                               note=self.seasonal_note),
        ]  # fmt: skip
        if self.cox is not None:
            rows.append(self.cox.to_row(purchases_given_return=self.purchases_given_return))
        if self.xgboost is not None:
            rows.append(self.xgboost.to_row())
        table = pd.DataFrame(rows, columns=list(fit_rows.COLUMNS))
        table["notes"] = "; ".join(self.notes)
        return table

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> FittedModels:
        rows = {row["model_name"]: row for _, row in table.iterrows()}
        cox, season = rows.get("cox"), rows.get("seasonality")
        return cls(
            bgnbd=btyd.FitResult.from_row(rows["bgnbd"], btyd.BGNBD_PARAMETERS),
            gamma_gamma=btyd.FitResult.from_row(rows["gamma_gamma"], btyd.GAMMA_GAMMA_PARAMETERS),
            cox=survival.CoxFit.from_row(cox) if cox is not None else None,
            xgboost=regression.XgbFit.from_row(rows["xgboost"]) if "xgboost" in rows else None,
            purchases_given_return=fit_rows.parameters(cox)["purchases_given_return"]
            if cox is not None
            else 1.0,
            mean_spend=fit_rows.parameters(rows["gamma_gamma"]).get("mean_spend", 0.0),
            seasonal_index=fit_rows.parameters(season)["monthly_index"] if season is not None else None,
            seasonal_note=season["note"] if season is not None else "",
        )


def fit_purchase_models(history: pd.DataFrame) -> FittedModels:
    """BG/NBD and Gamma-Gamma alone (with their fallbacks), what btyd scores from."""
    bgnbd, gamma_gamma = btyd.fit_btyd(
        history["frequency"], history["recency_days"], history["t_days"], history["monetary_value"]
    )
    notes = [fit.note for fit in (bgnbd, gamma_gamma) if not fit.converged]
    return FittedModels(bgnbd, gamma_gamma, None, None, 1.0, mean_spend(history), notes=notes)


def fit_models(
    history: pd.DataFrame,
    previous: pd.DataFrame | None,
    seed: int = 42,
    xgboost_sample_size: int = 100_000,
    calendar: pd.DataFrame | None = None,
    multipliers: pd.DataFrame | None = None,
) -> FittedModels:
    """Fit BTYD and Cox on ``history`` (one snapshot) and XGBoost on ``previous`` (the snapshot
    one horizon earlier, whose targets end at ``history``'s date); learn the calendar from the
    purchase calendar up to ``history``'s date. Nothing here raises on a small or odd shop:
    what cannot be fitted is recorded and falls back (module docstring)."""
    purchase = fit_purchase_models(history)
    bgnbd, gamma_gamma = purchase.bgnbd, purchase.gamma_gamma
    notes = list(purchase.notes)
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
    index, season_note = (None, "no snapshot date")
    cutoff = snapshot_date(history)
    if cutoff is not None:
        expected = (
            btyd.bgnbd_model(bgnbd.params).expected_number_of_purchases_up_to_time
            if bgnbd.converged
            else None
        )
        index, season_note = seasonality.monthly_index(calendar, cutoff, multipliers, expected)
    return FittedModels(
        bgnbd,
        gamma_gamma,
        cox,
        xgb_fit,
        per_return,
        purchase.mean_spend,
        None if index is None else [float(v) for v in index],
        season_note,
        notes,
    )


def return_rate(frame: pd.DataFrame) -> np.ndarray:
    """Each customer's expected share of spend that comes back as returns or credits (0..1).

    Purchase models predict what customers spend; revenue is net of what they return. A
    customer's own rate (returned_amount / purchase spend) is noisy for small spenders, so it
    is shrunk toward the population's rate with the weight of one median purchase:
    ``(returned + w * R) / (spend + w)``. Frames without return columns return 0."""
    if "returned_amount" not in frame:
        return np.zeros(len(frame))
    returned = frame["returned_amount"].fillna(0).to_numpy(float).clip(min=0)
    spend = purchase_spend(frame)
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
        mean_spend=fitted.mean_spend,
    )
    out[["p_alive", "expected_purchases", "expected_avg_order_value"]] = pred[
        ["p_alive", "expected_purchases", "expected_avg_order_value"]
    ].to_numpy()
    kept_share = 1.0 - return_rate(frame)
    purchases = pred["expected_purchases"].to_numpy()
    out["revenue_btyd"] = pred["predicted_revenue"].to_numpy() * kept_share
    out["purchases_btyd"] = purchases
    factor, scored_at = 1.0, snapshot_date(frame)
    if fitted.seasonal_index is not None and scored_at is not None:
        factor = seasonality.window_factor(fitted.seasonal_index, scored_at, horizon_days)
        out["revenue_btyd_seasonal"] = out["revenue_btyd"] * factor
        out["purchases_btyd_seasonal"] = purchases * factor
    frequency, monetary = frame["frequency"].to_numpy(float), frame["monetary_value"].to_numpy(float)
    own = (frequency >= OWN_SPEND_MIN_FREQUENCY) & (monetary > 0)
    spend = np.where(own, monetary, pred["expected_avg_order_value"].to_numpy())
    out["revenue_btyd_own_spend"] = purchases * spend * kept_share
    out["purchases_btyd_own_spend"] = purchases
    one_time = out["customer_group"].eq("one_time").to_numpy()
    if fitted.cox is not None:
        p_return = survival.probability_of_return(fitted.cox, frame, horizon_days)
        prior = btyd.prior_spend(fitted.gamma_gamma.params, fitted.mean_spend)
        out["p_return_within_horizon"] = np.where(one_time, p_return, np.nan)
        out["purchases_cox"] = np.where(one_time, p_return * fitted.purchases_given_return, np.nan)
        out["revenue_cox"] = out["purchases_cox"] * prior * kept_share
    if fitted.xgboost is not None:
        out["revenue_xgboost"] = regression.predict_xgboost(fitted.xgboost, frame)
        out["revenue_blend_btyd_xgboost"] = (out["revenue_btyd"] + out["revenue_xgboost"]) / 2
        if fitted.cox is not None:
            out["revenue_blend_cox_xgboost"] = (out["revenue_cox"] + out["revenue_xgboost"]) / 2
        if "revenue_btyd_seasonal" in out:
            # XGBoost learned the revenue of the window one horizon earlier: re-weight it by
            # how much busier this window's calendar is than that one's.
            trained_on = scored_at - pd.Timedelta(days=horizon_days)
            learned = seasonality.window_factor(fitted.seasonal_index, trained_on, horizon_days)
            out["revenue_xgboost_seasonal"] = out["revenue_xgboost"] * factor / learned
            out["revenue_blend_seasonal"] = (
                out["revenue_btyd_seasonal"] + out["revenue_xgboost_seasonal"]
            ) / 2
    out["revenue_baseline_last_period"] = frame["revenue_last_horizon"].to_numpy(float).clip(min=0)
    out["purchases_baseline_last_period"] = frame["purchases_last_horizon"].to_numpy(float)
    # Historical rate x horizon; customers younger than the horizon are not extrapolated.
    share = btyd.horizon_share(frame["t_days"], horizon_days)
    out["revenue_baseline_spend_rate"] = frame["total_net_revenue"].to_numpy(float).clip(min=0) * share
    out["purchases_baseline_spend_rate"] = (frequency + 1) * share
    return out


def model_names(scores: pd.DataFrame) -> list[str]:
    return [c.removeprefix("revenue_") for c in scores.columns if c.startswith("revenue_")]


MIN_BIAS_RATIO, MAX_BIAS_RATIO = 0.5, 2.0  # a correction outside this says more about noise than bias


def bias_ratios(groups, actual_revenue, predicted_revenue) -> dict[str, float]:
    """Per customer group: actual / predicted revenue (per customer or already per group),
    clipped to [MIN_BIAS_RATIO, MAX_BIAS_RATIO]; groups without predicted revenue are left out."""
    frame = pd.DataFrame(
        {"group": np.asarray(groups), "actual": np.asarray(actual_revenue, float),
         "predicted": np.asarray(predicted_revenue, float)}
    ).dropna()  # fmt: skip
    sums = frame.groupby("group")[["actual", "predicted"]].sum()
    sums = sums[sums["predicted"] > 0]
    return (sums["actual"] / sums["predicted"]).clip(MIN_BIAS_RATIO, MAX_BIAS_RATIO).to_dict()


def add_bias_corrected(scores: pd.DataFrame, ratios: dict[str, float]) -> pd.DataFrame:
    """btyd_corrected: btyd x the ratio of actual to predicted revenue its refit one window
    earlier had, per customer group (no column without ratios)."""
    if ratios:
        ratio = scores["customer_group"].map(ratios).fillna(1.0).to_numpy(float)
        scores["revenue_btyd_corrected"] = scores["revenue_btyd"].to_numpy(float) * ratio
        scores["purchases_btyd_corrected"] = scores["purchases_btyd"].to_numpy(float) * ratio
    return scores


def backtest(
    calibration: pd.DataFrame,
    training: pd.DataFrame | None,
    horizon_days: int,
    seed: int = 42,
    xgboost_sample_size: int = 100_000,
    calendar: pd.DataFrame | None = None,
    multipliers: pd.DataFrame | None = None,
):
    """Fit on the calibration snapshot, predict its holdout horizon; one row per customer x model.
    An empty calibration (no honest backtest) gives no rows. btyd_corrected learns its ratio by
    refitting BTYD on the training snapshot and scoring the window up to the calibration date."""
    fitted = fit_models(calibration, training, seed, xgboost_sample_size, calendar, multipliers)
    scores = score_models(fitted, calibration, horizon_days)
    if training is not None and len(training) and training["target_revenue"].notna().any():
        earlier = score_models(fit_purchase_models(training), training, horizon_days)
        ratios = bias_ratios(earlier["customer_group"], training["target_revenue"], earlier["revenue_btyd"])
        scores = add_bias_corrected(scores, ratios)
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


METRIC_COLUMNS = (
    "model_name", "customer_group", "customers", "actual_revenue", "predicted_revenue",
    "aggregate_revenue_error", "aggregate_transactions_error", "mae", "rmse", "spearman",
    "normalized_gini", "decile_mape", "published_model", "interval_coverage", "is_baseline",
    "best_baseline_mae", "best_baseline_gini", "nominal_coverage", "validation_status", "validation_note",
)  # fmt: skip


def _validation(row: pd.Series, gate_error: float) -> tuple[str, str]:
    """validated when total revenue is within gate_error and MAE is no worse than the best
    naive baseline's (a published baseline meets that by definition); else below_target."""
    problems = []
    error = row["aggregate_revenue_error"]
    if not abs(error) <= gate_error:
        problems.append(f"aggregate revenue error {error:+.1%} beyond {gate_error:.0%}")
    if not row["mae"] <= row["best_baseline_mae"]:
        problems.append(
            f"MAE {row['mae']:.2f} above the best naive baseline's {row['best_baseline_mae']:.2f}"
        )
    chosen = str(row["published_model"])
    said = [f"a naive baseline is published ({chosen}): no model beat it"] if chosen in BASELINES else []
    return ("below_target" if problems else "validated"), "; ".join(said + problems)


def model_metrics(
    backtest_rows: pd.DataFrame,
    coverage: float,
    max_aggregate_error: float,
    seed: int = 42,
    gate_error: float = 0.10,
    no_backtest_reason: str = "",
) -> pd.DataFrame:
    """Metrics per model and group (repeat, one_time, all); the published choice per group as
    model ``published`` with its validation_status; the best baseline's MAE and Gini beside
    each row.

    Choice per group, baselines included: the lowest MAE among candidates whose |aggregate
    revenue error| is within ``max_aggregate_error`` (MAE alone rewards predicting too little
    on zero-heavy revenue); if none is within it, the smallest |aggregate error|. Without
    backtest rows, the default model is published per group as not_backtestable."""
    if backtest_rows.empty:
        rows = [
            {"model_name": PUBLISHED, "customer_group": group,
             "published_model": json.dumps(dict.fromkeys(GROUPS, DEFAULT_MODEL)) if group == "all" else DEFAULT_MODEL,
             "is_baseline": False, "nominal_coverage": coverage, "validation_status": "not_backtestable",
             "validation_note": no_backtest_reason or "no customer to backtest on"}
            for group in (*GROUPS, "all")
        ]  # fmt: skip
        return pd.DataFrame(rows).reindex(columns=METRIC_COLUMNS)
    rows = []
    for (name, group), part in backtest_rows.groupby(["model_name", "customer_group"]):
        rows.append(_metrics_row(part, name, group))
    for name, part in backtest_rows.groupby("model_name"):
        if part["customer_group"].nunique() == backtest_rows["customer_group"].nunique() or name in BASELINES:
            rows.append(_metrics_row(part, name, "all"))
    metrics = pd.DataFrame(rows)
    chosen = {}
    for group in GROUPS:
        options = metrics[
            (metrics["customer_group"] == group) & metrics["model_name"].isin(CANDIDATES[group])
        ]
        options = options[options["aggregate_revenue_error"].notna()]
        unbiased = options[options["aggregate_revenue_error"].abs() <= max_aggregate_error]
        if len(unbiased):
            chosen[group] = unbiased.loc[unbiased["mae"].idxmin(), "model_name"]
        elif len(options):
            chosen[group] = options.loc[options["aggregate_revenue_error"].abs().idxmin(), "model_name"]
        elif (backtest_rows["customer_group"] == group).any():
            chosen[group] = DEFAULT_MODEL  # nothing to compare (no holdout revenue): the default
    published = published_predictions(backtest_rows, chosen)
    extra = []
    for group, part in [*published.groupby("customer_group"), ("all", published)]:
        row = _metrics_row(part, PUBLISHED, group)
        row["published_model"] = chosen.get(group, "by group") if group != "all" else json.dumps(chosen)
        row["interval_coverage"] = evaluation.cross_fitted_coverage(
            part["actual_revenue"],
            part["predicted_revenue"],
            coverage,
            evaluation.seeded_half(part["customer_id"], seed),
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
    is_published = metrics["model_name"] == PUBLISHED
    judged = metrics[is_published].apply(_validation, axis=1, gate_error=gate_error, result_type="expand")
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
class PublishSettings:
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


def publish(
    fitted: FittedModels,
    scoring: pd.DataFrame,
    backtest_rows: pd.DataFrame,
    metrics: pd.DataFrame,
    rfm: pd.DataFrame,
    actions: pd.DataFrame,
    settings: PublishSettings,
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
    model = scores["customer_group"].map(chosen).where(lambda m: m.isin(names), DEFAULT_MODEL)
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


# --- Warehouse scale: fits from what the warehouse summarised, scores in bounded batches ----
#
# The warehouse hands Python three small things per snapshot (scoring = customer_rfm at
# as_of_date, calibration and training one and two backtest horizons earlier): the weighted
# distinct BTYD rows, a seeded sample of customers, and a one-row summary. fit_snapshot fits
# from those; batch_scores computes, for one batch of customers, the quantities without a closed
# form in SQL (BG/NBD's conditional expectation, Cox's step-function baseline, XGBoost's trees).
# Everything else (P(alive), Gamma-Gamma spend, returns, seasonal factors, baselines, blends,
# metrics, choice, intervals, tiers) is SQL: models/ml/clv and models/marts/clv.

EARLIER_SNAPSHOT = {"scoring": "calibration", "calibration": "training"}  # XGBoost's training rows


@dataclass(frozen=True)
class SnapshotSummary:
    """One row of clv_snapshot_summary: what a snapshot's fits need besides rows."""

    snapshot_name: str
    snapshot_date: object
    horizon_days: int
    customers: int
    mean_spend: float
    purchases_given_return: float  # the earlier snapshot's returning one-time buyers' mean purchases


def fit_snapshot_btyd(summary: SnapshotSummary, bgnbd_rows, gamma_gamma_rows) -> FittedModels:
    """BG/NBD and Gamma-Gamma of one snapshot from its weighted rows in clv_btyd_fit_rows
    (weighted_rows: in numpy or in the warehouse), with their fallbacks; nothing else fitted yet."""
    customers = int(summary.customers)
    try:
        bgnbd = btyd.fit_bgnbd_rows(bgnbd_rows)
    except RuntimeError as error:
        bgnbd = btyd.not_fitted("BG/NBD", error, customers)
    try:
        gamma_gamma = btyd.fit_gamma_gamma_rows(gamma_gamma_rows)
    except RuntimeError as error:
        gamma_gamma = btyd.not_fitted("Gamma-Gamma", error, customers)
    notes = [fit.note for fit in (bgnbd, gamma_gamma) if not fit.converged]
    return FittedModels(bgnbd, gamma_gamma, None, None, 1.0, float(summary.mean_spend), notes=notes)


def fit_snapshot(
    summary: SnapshotSummary,
    fitted: FittedModels,
    cox_rows: pd.DataFrame,
    xgboost_rows: pd.DataFrame | None,
    calendar: pd.DataFrame | None = None,
    multipliers: pd.DataFrame | None = None,
    seed: int = 42,
) -> FittedModels:
    """The rest of a snapshot's models, as fit_models fits them, beside its BTYD fits
    (fit_snapshot_btyd): Cox on ``cox_rows`` (the snapshot's seeded sample), XGBoost on
    ``xgboost_rows`` (the earlier snapshot's seeded sample with targets; None: not fitted) and
    the calendar index."""
    notes = fitted.notes
    try:
        fitted.cox = survival.fit_cox(cox_rows, sample_size=max(len(cox_rows), 1), seed=seed)
    except Exception as error:  # e.g. no repeat buyers yet: no events to fit
        notes.append(f"cox not fitted: {error}")
    if xgboost_rows is not None and len(xgboost_rows):
        fitted.purchases_given_return = float(summary.purchases_given_return)
        try:
            fitted.xgboost = regression.fit_xgboost(xgboost_rows, seed=seed, sample_size=len(xgboost_rows))
        except Exception as error:
            notes.append(f"xgboost not fitted: {error}")
    else:
        notes.append("xgboost not fitted: no earlier snapshot with a complete horizon")
    bgnbd = fitted.bgnbd
    expected = (
        btyd.bgnbd_model(bgnbd.params).expected_number_of_purchases_up_to_time if bgnbd.converged else None
    )
    index, fitted.seasonal_note = seasonality.monthly_index(
        calendar, pd.Timestamp(summary.snapshot_date), multipliers, expected
    )
    fitted.seasonal_index = None if index is None else [float(v) for v in index]
    return fitted


def scoring_factors(fitted: FittedModels, snapshot_date, horizon_days: int) -> dict[str, float | None]:
    """The seasonal factors SQL applies: the scored window's (btyd_seasonal) and that over the
    factor of the window XGBoost learned from, one horizon earlier (xgboost_seasonal); None
    without a calendar index (no seasonal candidates)."""
    if fitted.seasonal_index is None:
        return {"window_factor": None, "xgboost_factor": None}
    start = pd.Timestamp(snapshot_date)
    factor = seasonality.window_factor(fitted.seasonal_index, start, horizon_days)
    learned = seasonality.window_factor(
        fitted.seasonal_index, start - pd.Timedelta(days=horizon_days), horizon_days
    )
    return {"window_factor": factor, "xgboost_factor": factor / learned}


BATCH_SCORE_COLUMNS = ("snapshot_name", "customer_id", "p_return_within_horizon", "revenue_xgboost")


def batch_scores(fitted: FittedModels, frame: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """For one batch of one snapshot's customers: Cox P(second purchase within the horizon) for
    one-time buyers and XGBoost revenue (NaN where the model is not fitted), exactly as
    score_models computes them."""
    out = pd.DataFrame(
        {"snapshot_name": frame["snapshot_name"].to_numpy(), "customer_id": frame["customer_id"].to_numpy()}
    )
    one_time = frame["frequency"].to_numpy() == 0
    out["p_return_within_horizon"] = (
        np.where(one_time, survival.probability_of_return(fitted.cox, frame, horizon_days), np.nan)
        if fitted.cox is not None
        else np.nan
    )
    out["revenue_xgboost"] = (
        regression.predict_xgboost(fitted.xgboost, frame) if fitted.xgboost is not None else np.nan
    )
    # float64 out: XGBoost predicts float32, which the adapters would convert differently
    return out.reindex(columns=list(BATCH_SCORE_COLUMNS)).astype(
        {"p_return_within_horizon": float, "revenue_xgboost": float}
    )


def bgnbd_terms(fitted: FittedModels, pairs: pd.DataFrame) -> pd.DataFrame:
    """BG/NBD's hypergeometric term per distinct (frequency, t_days) of a snapshot (pairs:
    frequency, t_days, horizon_days), NaN without a BG/NBD fit: see
    btyd.expected_purchases_numerator."""
    out = pairs[["snapshot_name", "frequency", "t_days"]].copy()
    if not fitted.bgnbd.converged or pairs.empty:
        out["purchases_numerator"] = np.nan
        return out
    numerator = btyd.expected_purchases_numerator(
        fitted.bgnbd.params, pairs["frequency"], pairs["t_days"], float(pairs["horizon_days"].iloc[0])
    )
    # NaN or inf (lifetimes' hypergeometric failing) is stored as missing: 0 purchases, as expected_purchases
    out["purchases_numerator"] = np.where(np.isfinite(numerator), numerator, np.nan)
    return out

"""The test oracle: the CLV arithmetic the warehouse does in SQL (models/ml/clv,
models/marts/clv), written once more in pandas on whole frames, for the tests to compare the SQL
with (to 1e-6). Nothing the dbt models run imports it, and it does not ship to Snowflake.

fit_models/score_models fit and score one snapshot in memory; backtest scores the calibration
snapshot's holdout (clv_backtest); python_utils.reference.clv_choice holds the metrics, the
choice and the predictions. Model definitions: python_utils.clv.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from python_utils import btyd, regression, seasonality, survival
from python_utils.clv import (
    FittedModels,
    customer_group,
    mean_spend,
    purchase_spend,
    snapshot_date,
)
from python_utils.reference import catalogue, spend


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
    cox = xgb_fit = cold_start = None
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
        try:
            cold_start = regression.fit_xgboost(
                previous, seed=seed, sample_size=xgboost_sample_size, max_age_days=catalogue.cold_start_days()
            )
        except Exception as error:
            notes.append(f"cold_start not fitted: {error}")
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
        cold_start,
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
    bought = purchase_spend(frame)
    population = returned.sum() / bought.sum() if bought.sum() > 0 else 0.0
    weight = float(np.median(bought[bought > 0])) if (bought > 0).any() else 1.0
    return np.clip((returned + weight * population) / (bought + weight), 0.0, 1.0)


def score_models(fitted: FittedModels, frame: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """Per customer: BTYD quantities and each model's predicted revenue (and purchases).
    Revenue is net: purchase models' spend is reduced by the customer's return rate."""
    out = pd.DataFrame({"customer_id": frame["customer_id"].to_numpy()})
    out["customer_group"] = customer_group(frame["frequency"], frame["t_days"], catalogue.cold_start_days())
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
    own = (frequency >= catalogue.own_spend_min_frequency()) & (monetary > 0)
    own_spend = np.where(own, monetary, pred["expected_avg_order_value"].to_numpy())
    out["revenue_btyd_own_spend"] = purchases * own_spend * kept_share
    out["purchases_btyd_own_spend"] = purchases
    first_spend = spend.first_purchase_spend(
        fitted.gamma_gamma.params, frequency, monetary, frame["first_purchase_value"], fitted.mean_spend
    )
    out["revenue_btyd_first_spend"] = purchases * first_spend * kept_share
    out["purchases_btyd_first_spend"] = purchases
    one_time = out["customer_group"].eq("one_time").to_numpy()  # Cox's group (new customers have their own)
    if fitted.cox is not None:
        p_return = survival.probability_of_return(fitted.cox, frame, horizon_days)
        prior = btyd.prior_spend(fitted.gamma_gamma.params, fitted.mean_spend)
        out["p_return_within_horizon"] = np.where(frequency == 0, p_return, np.nan)
        out["purchases_cox"] = np.where(one_time, p_return * fitted.purchases_given_return, np.nan)
        out["revenue_cox"] = out["purchases_cox"] * prior * kept_share
    if fitted.cold_start is not None:
        new = out["customer_group"].eq("new").to_numpy()
        out["revenue_cold_start"] = np.where(
            new, regression.predict_xgboost(fitted.cold_start, frame), np.nan
        )
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

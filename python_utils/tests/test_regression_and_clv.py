"""XGBoost without leakage, the CLV orchestration's invariants, on generated snapshots."""

import numpy as np
import pandas as pd
import pytest

from python_utils import clv, regression
from python_utils.reference import catalogue
from python_utils.reference import clv as oracle
from python_utils.reference import clv_choice as oracle_choice


def snapshot(n: int, seed: int, with_target: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frequency = rng.poisson(1.5, n)
    t_days = rng.integers(1, 900, n)
    recency = (rng.uniform(0, 1, n) * t_days).astype(int) * (frequency > 0)
    monetary = np.where(frequency > 0, rng.gamma(6, 10, n), 0.0)
    first_value = rng.gamma(6, 10, n)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": frequency,
            "recency_days": recency,
            "t_days": t_days,
            "days_since_last_order": t_days - recency,
            "days_to_second_purchase": np.where(frequency > 0, np.maximum(recency // 2, 1), np.nan),
            "order_count": frequency + 1,
            "total_net_revenue": first_value + frequency * monetary,
            "monetary_value": monetary,
            "avg_order_value": (first_value + frequency * monetary) / (frequency + 1),
            "discount_share": rng.uniform(0, 0.2, n),
            "first_purchase_value": first_value,
            "returned_amount": np.where(rng.random(n) < 0.1, 0.2 * first_value, 0.0),
            "revenue_last_horizon": rng.gamma(1, 20, n) * (rng.random(n) < 0.4),
            "purchases_last_horizon": rng.poisson(0.5, n),
            "acquisition_channel": rng.choice(["organic", "email"], n),
            "region": rng.choice(["europe", "asia_pacific"], n),
        }
    )
    frame["return_share"] = frame["returned_amount"] / (frame["total_net_revenue"] + frame["returned_amount"])
    if with_target:
        # Future revenue depends on past frequency and spend: there is signal to learn.
        frame["target_purchases"] = rng.poisson(
            0.3 + 0.5 * frequency * (frame["days_since_last_order"] < 300)
        )
        frame["target_revenue"] = frame["target_purchases"] * np.where(monetary > 0, monetary, first_value)
    else:
        frame["target_purchases"] = np.nan
        frame["target_revenue"] = np.nan
    return frame


def test_xgboost_features_never_include_the_target():
    matrix, _ = regression.feature_matrix(snapshot(100, 0))
    assert not any(column.startswith("target_") for column in matrix.columns)


def test_xgboost_learns_the_signal_and_handles_unseen_levels():
    fit = regression.fit_xgboost(snapshot(4_000, 1), seed=3)
    test = snapshot(2_000, 2)
    predicted = regression.predict_xgboost(fit, test.assign(region="unseen"))
    assert np.corrcoef(predicted, test["target_revenue"])[0, 1] > 0.5
    again = regression.predict_xgboost(
        regression.fit_xgboost(snapshot(4_000, 1), seed=3), test.assign(region="unseen")
    )
    np.testing.assert_array_equal(predicted, again)


def test_xgboost_refuses_to_train_without_targets():
    with pytest.raises(RuntimeError, match="at least 50"):
        regression.fit_xgboost(snapshot(100, 0, with_target=False))


def test_discount_factor():
    assert oracle_choice.discount_factor(365, 0.0) == 1.0
    # Revenue spread evenly over one year at 10%: (1 - 1/1.1) / ln(1.1)
    assert oracle_choice.discount_factor(365, 0.10) == pytest.approx((1 - 1 / 1.1) / np.log(1.1))


def test_tiers_follow_the_configured_shares():
    tiers = oracle_choice.clv_tiers(np.arange(1000.0), high_share=0.2, low_share=0.5)
    assert (tiers == "High").mean() == pytest.approx(0.2)
    assert (tiers == "Low").mean() == pytest.approx(0.5)


def test_published_predictions_are_complete_and_ordered(tmp_path):
    training, calibration = snapshot(3_000, 10), snapshot(3_000, 11)
    rows, _ = oracle.backtest(calibration, training, horizon_days=365)
    metrics = oracle_choice.model_metrics(
        rows, clv_interval_coverage=0.8, clv_selection_max_aggregate_error=0.05
    )
    chosen = oracle_choice.chosen_models(metrics)
    assert set(chosen) == {"repeat", "one_time", "new"}  # the snapshot has customers of every age
    assert all(model in catalogue.candidates()[group] for group, model in chosen.items())
    scoring = snapshot(3_000, 12, with_target=False)
    fitted = clv.FittedModels.from_table(oracle.fit_models(scoring, calibration).to_table())
    rfm = pd.DataFrame(
        {"customer_id": scoring["customer_id"], "rfm_segment": "Loyal", "rfm_value_level": "High"}
    )
    actions = pd.DataFrame(
        [(tier, group, f"{tier}-{group}") for tier in ("High", "Mid", "Low") for group in clv.GROUPS],
        columns=["clv_tier", "customer_group", "clv_action"],
    )
    settings = oracle_choice.PredictionSettings(
        horizon_days=365,
        discount_rate=0.1,
        clv_tier_high_share=0.2,
        clv_tier_low_share=0.5,
        clv_interval_coverage=0.8,
        model_version="test",
        as_of_date="2025-12-31",
    )
    out = oracle_choice.predictions(fitted, scoring, rows, metrics, rfm, actions, settings)
    assert len(out) == len(scoring) and out["customer_id"].is_unique
    numeric = out[
        ["p_alive", "expected_purchases", "predicted_revenue", "predicted_clv", "clv_lower", "clv_upper"]
    ]
    assert np.isfinite(numeric.to_numpy()).all()
    assert (out["clv_lower"] <= out["predicted_clv"]).all() and (
        out["predicted_clv"] <= out["clv_upper"]
    ).all()
    assert (out["predicted_revenue"] >= 0).all()
    assert out["clv_action"].notna().all()
    assert out["segment_mismatch"].eq(out["clv_tier"] != "High").all()


def test_return_rate_shrinks_each_customer_toward_the_population():
    frame = pd.DataFrame(
        {
            # purchase spend 100 each (net + returned); the population returns 10%.
            "total_net_revenue": [100.0, 70.0, 100.0, 0.0],
            "returned_amount": [0.0, 30.0, 0.0, 10.0],
        }
    )
    frame.loc[3, "total_net_revenue"] = 0.0  # spent 10, returned all of it
    rate = oracle.return_rate(frame)
    population = 40.0 / 310.0
    weight = 100.0  # median purchase spend
    spend = np.array([100.0, 100.0, 100.0, 10.0])
    assert rate == pytest.approx(
        (frame["returned_amount"].to_numpy() + weight * population) / (spend + weight)
    )
    assert rate[1] > population > rate[0] and 0 <= rate.min() and rate.max() <= 1
    assert oracle.return_rate(frame.drop(columns="returned_amount")).tolist() == [0, 0, 0, 0]


def test_bias_correction_scales_btyd_by_the_ratio_learned_one_window_earlier():
    earlier = pd.DataFrame(
        {"customer_group": ["repeat", "repeat", "one_time"], "revenue_btyd": [10.0, 30.0, 5.0]}
    )
    ratios = oracle.bias_ratios(earlier["customer_group"], [20.0, 40.0, 1_000.0], earlier["revenue_btyd"])
    assert ratios == {"repeat": 1.5, "one_time": oracle.MAX_BIAS_RATIO}  # 60/40; 200x is clipped
    now = pd.DataFrame(
        {"customer_group": ["repeat", "one_time"], "revenue_btyd": [8.0, 2.0], "purchases_btyd": [1.0, 0.5]}
    )
    corrected = oracle.add_bias_corrected(now.copy(), ratios)
    assert corrected["revenue_btyd_corrected"].tolist() == [12.0, 4.0]
    assert "revenue_btyd_corrected" not in oracle.add_bias_corrected(now.copy(), {})

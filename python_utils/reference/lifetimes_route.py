"""The yardstick: the plain lifetimes route a user would run instead of this project
(lifetimes' calibration_and_holdout_data on the purchases of fct_sales, BetaGeoFitter and
GammaGammaFitter with default settings, purchases x spend over the holdout), scored on the same
customers and the same holdout revenue as the published model's backtest (clv_backtest).
scripts/cdnow_splits.py prints the comparison; integration_tests/test_cdnow_splits.py holds it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import calibration_and_holdout_data

from python_utils.reference import evaluation

PURCHASES = (
    "select customer_id, order_date, sum(net_amount) as net_amount from marts.fct_sales "
    "where is_purchase group by 1, 2"
)
ACTUAL = "select customer_id, actual_revenue from ml.clv_backtest where model_name = 'baseline_spend_rate'"
PUBLISHED = (
    "select aggregate_revenue_error, mae, normalized_gini, backtest_horizon_days from ml.clv_model_metrics "
    "where model_name = 'published' and customer_group = 'all'"
)


def plain_lifetimes(purchases: pd.DataFrame, as_of: str, backtest_days: int) -> pd.DataFrame:
    """Per customer: the plain lifetimes route's predicted revenue over the holdout."""
    cutoff = (pd.Timestamp(as_of) - pd.Timedelta(days=backtest_days)).date()
    data = calibration_and_holdout_data(
        purchases, "customer_id", "order_date", calibration_period_end=cutoff, observation_period_end=as_of,
        freq="D", monetary_value_col="net_amount",
    )  # fmt: skip
    bgnbd = BetaGeoFitter().fit(data["frequency_cal"], data["recency_cal"], data["T_cal"])
    repeat = data[(data["frequency_cal"] > 0) & (data["monetary_value_cal"] > 0)]
    gamma_gamma = GammaGammaFitter().fit(repeat["frequency_cal"], repeat["monetary_value_cal"])
    expected = bgnbd.conditional_expected_number_of_purchases_up_to_time(
        backtest_days, data["frequency_cal"], data["recency_cal"], data["T_cal"]
    )
    has_spend = data["monetary_value_cal"] > 0
    spend = gamma_gamma.conditional_expected_average_profit(
        data["frequency_cal"].where(has_spend, 0), data["monetary_value_cal"].where(has_spend, 0)
    )
    return pd.DataFrame({"customer_id": data.index, "predicted_revenue": np.asarray(expected * spend)})


def published_against_lifetimes(con, as_of: str) -> dict[str, dict[str, float]] | None:
    """{"ours": metrics of the published model's backtest, "lifetimes": the plain route's on
    the same customers and holdout}; None without a backtest. ``con``: a DuckDB connection to a build."""
    ours = con.execute(PUBLISHED).df().iloc[0]
    if pd.isna(ours["backtest_horizon_days"]):
        return None
    actual = con.execute(ACTUAL).df()
    predicted = plain_lifetimes(con.execute(PURCHASES).df(), as_of, int(ours["backtest_horizon_days"]))
    plain = actual.merge(predicted, on="customer_id", how="left").fillna(0.0)
    return {
        "ours": {k: float(ours[k]) for k in ("aggregate_revenue_error", "mae", "normalized_gini")},
        "lifetimes": evaluation.revenue_metrics(plain["actual_revenue"], plain["predicted_revenue"]),
    }

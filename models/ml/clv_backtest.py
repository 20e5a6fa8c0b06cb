"""Backtest: fit every CLV model as of as_of_date - backtest horizon, predict the holdout.

One row per customer x model (baselines included). XGBoost trains one horizon earlier still,
so no model sees the holdout. The backtest horizon is horizon_days, shortened for a short
history (int_as_of_date); without an honest backtest the table is empty.
"""

import pandas as pd

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    seed = int(config_value(dbt.config.get("random_seed")))
    xgboost_sample_size = int(config_value(dbt.config.get("xgboost_sample_size")))
    window = read_frame(dbt.ref("int_as_of_date"))
    calibration = read_frame(dbt.ref("int_customer_snapshots"), where={"snapshot_name": "calibration"})
    training = read_frame(dbt.ref("int_customer_snapshots"), where={"snapshot_name": "training"})
    horizon = window["backtest_horizon_days"].iloc[0]
    rows, _ = clv.backtest(
        calibration,
        training,
        int(horizon) if pd.notna(horizon) else 0,  # 0: no honest backtest, calibration is empty
        seed,
        xgboost_sample_size,
        calendar=read_frame(dbt.ref("int_purchase_calendar"), order_by=("order_date",)),
        multipliers=read_frame(dbt.ref("calendar_multipliers"), order_by=("month",)),
    )
    return to_warehouse(rows, session)

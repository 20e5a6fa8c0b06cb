"""Backtest: fit every CLV model as of as_of_date - horizon, predict the holdout horizon.

One row per customer x model (baselines included). XGBoost trains one horizon earlier still,
so no model sees the holdout.
"""

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    horizon = int(config_value(dbt.config.get("horizon_days")))
    seed = int(config_value(dbt.config.get("seed")))
    xgboost_sample_size = int(config_value(dbt.config.get("xgboost_sample_size")))
    calibration = read_frame(dbt.ref("int_customer_snapshots"), where={"snapshot_name": "calibration"})
    training = read_frame(dbt.ref("int_customer_snapshots"), where={"snapshot_name": "training"})
    rows, _ = clv.backtest(calibration, training, horizon, seed, xgboost_sample_size)
    return to_warehouse(rows, session)

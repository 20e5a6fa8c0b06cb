"""Fit the CLV models as of as_of_date (XGBoost on the horizon before it): one row per model
with its parameters as JSON, rows, seconds and convergence. clv_predictions scores from these."""

import pandas as pd

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse
from python_utils.versioning import library_versions, model_version


def model(dbt, session):
    dbt.config(materialized="table")
    seed = int(config_value(dbt.config.get("random_seed")))
    xgboost_sample_size = int(config_value(dbt.config.get("xgboost_sample_size")))
    horizon = int(config_value(dbt.config.get("horizon_days")))
    window = read_frame(dbt.ref("int_as_of_date"))
    scoring = read_frame(dbt.ref("customer_rfm"))
    # XGBoost learns next-horizon revenue from the calibration snapshot; a shortened backtest
    # window gives targets over a shorter horizon, which would not be what is predicted.
    full_window = window["backtest_horizon_days"].iloc[0] == horizon
    calibration = read_frame(dbt.ref("int_customer_snapshots"), where={"snapshot_name": "calibration"})
    fitted = clv.fit_models(
        scoring,
        calibration if full_window else None,
        seed,
        xgboost_sample_size,
        calendar=read_frame(dbt.ref("int_purchase_calendar"), order_by=("order_date",)),
        multipliers=read_frame(dbt.ref("calendar_multipliers"), order_by=("month",)),
    )
    table = fitted.to_table()
    table["model_version"] = model_version(parameters=table["parameters_json"].tolist(), seed=seed)
    table["library_versions"] = library_versions()
    table["as_of_date"] = pd.Timestamp(window["as_of_date"].iloc[0]).date()
    table["fitted_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return to_warehouse(table, session)

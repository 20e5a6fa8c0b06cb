"""Fit the CLV models as of as_of_date (XGBoost on the horizon before it): one row per model
with its parameters as JSON, rows, seconds and convergence. clv_predictions scores from these."""

import pandas as pd

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse
from python_utils.versioning import library_versions, model_version


def model(dbt, session):
    dbt.config(materialized="table")
    seed = int(config_value(dbt.config.get("seed")))
    xgboost_sample_size = int(config_value(dbt.config.get("xgboost_sample_size")))
    scoring = read_frame(dbt.ref("customer_rfm"))
    calibration = read_frame(dbt.ref("int_customer_snapshots"), where={"snapshot_name": "calibration"})
    table = clv.fit_models(scoring, calibration, seed, xgboost_sample_size).to_table()
    table["model_version"] = model_version(parameters=table["parameters_json"].tolist(), seed=seed)
    table["library_versions"] = library_versions()
    table["as_of_date"] = pd.Timestamp(scoring["as_of_date"].max()).date() if len(scoring) else None
    table["fitted_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return to_warehouse(table, session)

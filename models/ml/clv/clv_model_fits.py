"""Every CLV model per snapshot: the BTYD fits (clv_btyd_fits) with Cox on the snapshot's
seeded sample, XGBoost (and the cold-start XGBoost, on its new customers) on the earlier snapshot's seeded
sample and the calendar on one row per
day. One row per (snapshot_name, model_name) with parameters as JSON. scoring = as_of_date
(what clv_predictions publishes), calibration = the backtest's fit, training = the refit one
window earlier that btyd_corrected learns its ratio from (BTYD only)."""

import pandas as pd

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse
from python_utils.versioning import library_versions, model_version


def model(dbt, session):
    dbt.config(materialized="table")
    seed = int(config_value(dbt.config.get("random_seed")))
    cox_sample_size = int(config_value(dbt.config.get("cox_sample_size")))
    xgboost_sample_size = int(config_value(dbt.config.get("xgboost_sample_size")))
    horizon = int(config_value(dbt.config.get("horizon_days")))
    cold_start_days = int(config_value(dbt.config.get("cold_start_days")))
    summary = read_frame(dbt.ref("clv_snapshot_summary"), order_by=("snapshot_name",))
    btyd_fits = read_frame(dbt.ref("clv_btyd_fits"), order_by=("snapshot_name", "model_name"))
    sample = read_frame(dbt.ref("clv_fit_sample"), order_by=("snapshot_name", "customer_id"))
    calendar = read_frame(dbt.ref("int_purchase_calendar"), order_by=("order_date",))
    multipliers = read_frame(dbt.ref("calendar_multipliers"), order_by=("month",))
    table = clv.fit_snapshots(
        summary, btyd_fits, sample, calendar, multipliers, horizon, seed, cox_sample_size, xgboost_sample_size,
        cold_start_days,
    )  # fmt: skip
    scoring = table[table["snapshot_name"] == "scoring"]
    table["model_version"] = model_version(parameters=scoring["parameters_json"].tolist(), seed=seed)
    table["library_versions"] = library_versions()
    table["as_of_date"] = pd.Timestamp(
        summary.loc[summary["snapshot_name"] == "scoring", "snapshot_date"].iloc[0]
    ).date()
    table["fitted_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return to_warehouse(table, session)

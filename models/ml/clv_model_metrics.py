"""Backtest metrics per model and customer group, and the published model chosen from them,
with its validation_status."""

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    window = read_frame(dbt.ref("int_as_of_date"))
    history_days = window["history_days"].iloc[0]
    metrics = clv.model_metrics(
        read_frame(dbt.ref("clv_backtest")),
        coverage=float(config_value(dbt.config.get("clv_interval_coverage"))),
        max_aggregate_error=float(config_value(dbt.config.get("clv_selection_max_aggregate_error"))),
        seed=int(config_value(dbt.config.get("random_seed"))),
        gate_error=float(config_value(dbt.config.get("clv_max_aggregate_error"))),
        no_backtest_reason=f"no honest backtest: {history_days} days of history, under two windows of 28 days",
    )
    metrics["as_of_date"] = window["as_of_date"].iloc[0]
    metrics["horizon_days"] = int(config_value(dbt.config.get("horizon_days")))
    metrics["backtest_horizon_days"] = window["backtest_horizon_days"].iloc[0]
    metrics["backtest_window"] = window["backtest_window"].iloc[0]
    return to_warehouse(metrics, session)

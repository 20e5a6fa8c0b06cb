"""Backtest metrics per model and customer group, and the published model chosen from them."""

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    metrics = clv.model_metrics(
        read_frame(dbt.ref("clv_backtest")),
        coverage=float(config_value(dbt.config.get("coverage"))),
        max_aggregate_error=float(config_value(dbt.config.get("max_aggregate_error"))),
        seed=int(config_value(dbt.config.get("seed"))),
    )
    as_of = read_frame(dbt.ref("int_as_of_date"))
    metrics["as_of_date"] = as_of["as_of_date"].iloc[0]
    metrics["horizon_days"] = int(config_value(dbt.config.get("horizon_days")))
    return to_warehouse(metrics, session)

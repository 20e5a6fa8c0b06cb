"""One CLV prediction per customer of customer_rfm, from clv_model_fits, with the model per
customer group that clv_model_metrics chose, the backtest evidence of that model, an interval
from the backtest, tier and action."""

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    scoring = read_frame(dbt.ref("customer_rfm"))
    fits = read_frame(dbt.ref("clv_model_fits"), order_by=("model_name",))
    settings = clv.PublishSettings(
        horizon_days=int(config_value(dbt.config.get("horizon_days"))),
        discount_rate=float(config_value(dbt.config.get("discount_rate"))),
        clv_tier_high_share=float(config_value(dbt.config.get("clv_tier_high_share"))),
        clv_tier_low_share=float(config_value(dbt.config.get("clv_tier_low_share"))),
        clv_interval_coverage=float(config_value(dbt.config.get("clv_interval_coverage"))),
        model_version=fits["model_version"].iloc[0],
        as_of_date=fits["as_of_date"].iloc[0],
    )
    metrics = read_frame(dbt.ref("clv_model_metrics"), order_by=("model_name", "customer_group"))
    published = sorted(set(clv.chosen_models(metrics).values()))
    predictions = clv.publish(
        clv.FittedModels.from_table(fits),
        scoring,
        backtest_rows=read_frame(dbt.ref("clv_backtest"), where={"model_name": published}),
        metrics=metrics,
        rfm=scoring[["customer_id", "rfm_segment", "rfm_value_level"]],
        actions=read_frame(dbt.ref("clv_actions")),
        settings=settings,
    )
    return to_warehouse(predictions, session)

"""Cox's P(second purchase within the horizon) (a step-function baseline) and XGBoost's revenue
(trees) per (snapshot_name, customer_id) of the scoring and calibration snapshots. Customers
stream through in batches of scoring_batch_size: this node never holds more than one batch.
clv_customer_scores computes everything else in SQL."""

from python_utils import clv
from python_utils.io import batches_to_warehouse, config_value, read_batches, read_frame


def model(dbt, session):
    dbt.config(materialized="table")
    batch_size = int(config_value(dbt.config.get("scoring_batch_size")))
    fits = read_frame(dbt.ref("clv_model_fits"), order_by=("snapshot_name", "model_name"))
    summary = read_frame(dbt.ref("clv_snapshot_summary"), order_by=("snapshot_name",))
    snapshots = dbt.ref("clv_snapshots")

    def scored_batches():
        for row in summary[summary["snapshot_name"] != "training"].itertuples(index=False):
            fitted = clv.FittedModels.from_table(fits[fits["snapshot_name"] == row.snapshot_name])
            for batch in read_batches(
                snapshots, session, batch_size, where={"snapshot_name": row.snapshot_name}
            ):
                yield clv.batch_scores(fitted, batch, int(row.horizon_days))

    columns = {name: "string" if name in ("snapshot_name", "customer_id") else "float64"
               for name in clv.BATCH_SCORE_COLUMNS}  # fmt: skip
    return batches_to_warehouse(scored_batches(), columns, session, dbt.this)

"""BG/NBD's conditional expectation needs the Gauss hypergeometric function, which SQL lacks.
Its hypergeometric part depends on (frequency, t_days) only: computed here once per distinct
pair and snapshot (lifetimes' own formula), the pairs streamed through in batches of
scoring_batch_size; clv_customer_scores finishes it per customer."""

from python_utils import clv
from python_utils.io import batches_to_warehouse, config_value, read_batches, read_frame


def model(dbt, session):
    dbt.config(materialized="table")
    batch_size = int(config_value(dbt.config.get("scoring_batch_size")))
    fits = read_frame(dbt.ref("clv_model_fits"), order_by=("snapshot_name", "model_name"))
    pairs = dbt.ref("clv_frequency_tenure_pairs")

    def term_batches():
        for name in sorted(fits["snapshot_name"].unique()):
            fitted = clv.FittedModels.from_table(fits[fits["snapshot_name"] == name])
            for batch in read_batches(pairs, session, batch_size, where={"snapshot_name": name}):
                yield clv.bgnbd_terms(fitted, batch)

    columns = {
        "snapshot_name": "string",
        "frequency": "int64",
        "t_days": "int64",
        "purchases_numerator": "float64",
    }
    return batches_to_warehouse(term_batches(), columns, session, dbt.this)

"""BG/NBD's conditional expectation needs the Gauss hypergeometric function, which SQL lacks.
Its hypergeometric part depends on (frequency, t_days) only: computed here once per distinct
pair and snapshot (lifetimes' own formula); clv_customer_scores finishes it per customer."""

import pandas as pd

from python_utils import clv
from python_utils.io import read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    fits = read_frame(dbt.ref("clv_model_fits"), order_by=("snapshot_name", "model_name"))
    pairs = read_frame(
        dbt.ref("clv_frequency_tenure_pairs"), order_by=("snapshot_name", "frequency", "t_days")
    )
    terms = [
        clv.bgnbd_terms(clv.FittedModels.from_table(fits[fits["snapshot_name"] == name]), part)
        for name, part in pairs.groupby("snapshot_name", sort=True)
    ]
    columns = ["snapshot_name", "frequency", "t_days", "purchases_numerator"]
    return to_warehouse(
        pd.concat(terms, ignore_index=True) if terms else pd.DataFrame(columns=columns), session
    )

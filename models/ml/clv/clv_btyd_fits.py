"""BG/NBD and Gamma-Gamma per snapshot (scoring, calibration, training), fitted on the weighted
distinct rows the warehouse computed (clv_btyd_fit_rows). A fit with at most btyd_max_fit_rows
rows reads them; past that, the warehouse sums its likelihood at each optimiser step and Python
holds only the sums (weighted_rows). The six fits are independent and spend their time in
numpy, scipy or warehouse queries, which release the GIL: they run two at a time."""

from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from python_utils import clv, fit_rows, weighted_rows
from python_utils.io import config_value, read_frame, to_warehouse

COLUMNS = {"bgnbd": ["frequency", "recency_days", "t_days"], "gamma_gamma": ["frequency", "monetary_value"]}


def model(dbt, session):
    dbt.config(materialized="table")
    max_rows = int(config_value(dbt.config.get("btyd_max_fit_rows")))
    summary = read_frame(dbt.ref("clv_snapshot_summary"), order_by=("snapshot_name",))
    relation = dbt.ref("clv_btyd_fit_rows")
    snapshots = [
        clv.SnapshotSummary(**row)
        for row in summary[list(clv.SnapshotSummary.__dataclass_fields__)].to_dict("records")
    ]

    def fit(snapshot):
        rows = {
            name: weighted_rows.bounded(
                relation,
                session,
                {"snapshot_name": snapshot.snapshot_name, "model_name": name},
                columns,
                max_rows,
            )
            for name, columns in COLUMNS.items()
        }
        return clv.fit_snapshot_btyd(snapshot, rows["bgnbd"], rows["gamma_gamma"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        fitted = list(pool.map(fit, snapshots))
    table = pd.concat(
        [pd.DataFrame([f.bgnbd.to_row("bgnbd"), f.gamma_gamma.to_row("gamma_gamma", mean_spend=f.mean_spend)])
         .assign(snapshot_name=s.snapshot_name, notes="; ".join(f.notes)) for s, f in zip(snapshots, fitted, strict=True)],
        ignore_index=True,
    )  # fmt: skip
    return to_warehouse(table[["snapshot_name", *fit_rows.COLUMNS, "notes"]], session)

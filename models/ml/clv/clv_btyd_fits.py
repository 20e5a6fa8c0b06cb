"""BG/NBD and Gamma-Gamma per snapshot (scoring, calibration, training), fitted on the weighted
distinct rows the warehouse computed (clv_btyd_fit_rows). The six fits are independent and
spend their time in numpy and scipy, which release the GIL: they run two at a time."""

from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from python_utils import clv, fit_rows
from python_utils.io import read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    summary = read_frame(dbt.ref("clv_snapshot_summary"), order_by=("snapshot_name",))
    rows = read_frame(
        dbt.ref("clv_btyd_fit_rows"),
        order_by=("snapshot_name", "model_name", "frequency", "recency_days", "t_days", "monetary_value"),
    )
    snapshots = [
        clv.SnapshotSummary(**row)
        for row in summary[list(clv.SnapshotSummary.__dataclass_fields__)].to_dict("records")
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        fitted = list(
            pool.map(
                lambda s: clv.fit_snapshot_btyd(s, rows[rows["snapshot_name"] == s.snapshot_name]), snapshots
            )
        )
    table = pd.concat(
        [pd.DataFrame([f.bgnbd.to_row("bgnbd"), f.gamma_gamma.to_row("gamma_gamma", mean_spend=f.mean_spend)])
         .assign(snapshot_name=s.snapshot_name, notes="; ".join(f.notes)) for s, f in zip(snapshots, fitted, strict=True)],
        ignore_index=True,
    )  # fmt: skip
    return to_warehouse(table[["snapshot_name", *fit_rows.COLUMNS, "notes"]], session)

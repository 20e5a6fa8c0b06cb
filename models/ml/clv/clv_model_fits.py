"""Every CLV model per snapshot: the BTYD fits (clv_btyd_fits) with Cox on the snapshot's
seeded sample, XGBoost on the earlier snapshot's seeded sample and the calendar on one row per
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
    summary = read_frame(dbt.ref("clv_snapshot_summary"), order_by=("snapshot_name",))
    btyd_fits = read_frame(dbt.ref("clv_btyd_fits"), order_by=("snapshot_name", "model_name"))
    sample = read_frame(dbt.ref("clv_fit_sample"), order_by=("snapshot_name", "customer_id"))
    calendar = read_frame(dbt.ref("int_purchase_calendar"), order_by=("order_date",))
    multipliers = read_frame(dbt.ref("calendar_multipliers"), order_by=("month",))
    # XGBoost learns next-horizon revenue: a shortened backtest window's targets cover a
    # shorter horizon than the one published, so the published fit then has none.
    full_window = bool((summary["horizon_days"] == horizon).all())
    tables = []
    for row in summary[list(clv.SnapshotSummary.__dataclass_fields__)].to_dict("records"):
        snapshot = clv.SnapshotSummary(**row)
        name = snapshot.snapshot_name
        fitted = clv.FittedModels.from_table(btyd_fits[btyd_fits["snapshot_name"] == name])
        fitted.notes = [n for n in btyd_fits.loc[btyd_fits["snapshot_name"] == name, "notes"].iloc[:1] if n]
        if name != "training":  # the training snapshot only refits BTYD
            earlier = sample[
                (sample["snapshot_name"] == clv.EARLIER_SNAPSHOT[name])
                & (sample["sample_rank"] <= xgboost_sample_size)
                & sample["target_revenue"].notna()
            ]
            fitted = clv.fit_snapshot(
                snapshot,
                fitted,
                cox_rows=sample[
                    (sample["snapshot_name"] == name) & (sample["sample_rank"] <= cox_sample_size)
                ].reset_index(drop=True),
                xgboost_rows=earlier.reset_index(drop=True) if name != "scoring" or full_window else None,
                calendar=calendar,
                multipliers=multipliers,
                seed=seed,
            )
        table = fitted.to_table(clv.scoring_factors(fitted, snapshot.snapshot_date, snapshot.horizon_days))
        if name == "training":
            table = table[table["model_name"].isin(["bgnbd", "gamma_gamma"])]
        tables.append(table.assign(snapshot_name=name))
    table = pd.concat(tables, ignore_index=True)
    table = table[["snapshot_name", *[c for c in table.columns if c != "snapshot_name"]]]
    scoring = table[table["snapshot_name"] == "scoring"]
    table["model_version"] = model_version(parameters=scoring["parameters_json"].tolist(), seed=seed)
    table["library_versions"] = library_versions()
    table["as_of_date"] = pd.Timestamp(
        summary.loc[summary["snapshot_name"] == "scoring", "snapshot_date"].iloc[0]
    ).date()
    table["fitted_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    return to_warehouse(table, session)

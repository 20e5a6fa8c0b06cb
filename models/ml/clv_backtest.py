"""Backtest: fit every CLV model as of as_of_date - horizon, predict the holdout horizon.

One row per customer x model (baselines included). XGBoost trains one horizon earlier still,
so no model sees the holdout.
"""

from python_utils import clv
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(
        materialized="table", packages=["pandas", "numpy", "scipy", "lifetimes", "lifelines", "xgboost"]
    )
    horizon = int(config_value(dbt.config.get("horizon_days")))
    seed = int(config_value(dbt.config.get("seed")))
    snapshots = read_frame(dbt.ref("int_customer_snapshots"))
    calibration = snapshots[snapshots["snapshot_name"] == "calibration"].reset_index(drop=True)
    training = snapshots[snapshots["snapshot_name"] == "training"].reset_index(drop=True)
    rows, _ = clv.backtest(calibration, training, horizon, seed)
    return to_warehouse(rows, session)

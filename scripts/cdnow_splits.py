"""CDNOW at several (as_of_date, horizon_days) splits: build each, then compare the published
CLV model with both naive baselines and with the plain lifetimes route on the same split.

The plain lifetimes route is what a user would run instead: lifetimes'
calibration_and_holdout_data on the purchases (fct_sales), BetaGeoFitter and GammaGammaFitter
with default settings, purchases x spend over the holdout. It is scored against the same actual
holdout revenue as our models (clv_backtest.actual_revenue), on the same customers.

    .venv/bin/python scripts/cdnow_splits.py [--build]   # prints the table in docs/methodology.md
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import calibration_and_holdout_data

from python_utils.reference import evaluation

REPO = Path(__file__).resolve().parents[1]
SPLITS = [("1997-08-31", 243), ("1998-03-31", 182), ("1998-06-30", 273), ("1997-06-30", 91)]
WORK = Path(os.environ.get("CDNOW_SPLITS_DIR", "/tmp/cdnow"))


def build(as_of: str, horizon: int) -> Path:
    db = WORK / f"clv_{as_of}_{horizon}.duckdb"
    db.unlink(missing_ok=True)
    variables = {"orders_path": str(WORK / "orders.csv"), "as_of_date": as_of, "horizon_days": horizon}
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "CLV_DUCKDB_PATH": str(db)}
    subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--vars", json.dumps(variables)],
        cwd=REPO, env=env, check=False, capture_output=True,
    )  # fmt: skip
    return db


def plain_lifetimes(con, as_of: str, backtest_days: int) -> pd.DataFrame:
    """Per customer: the plain lifetimes route's predicted holdout revenue."""
    purchases = con.execute(
        "select customer_id, order_date, sum(net_amount) as net_amount from marts.fct_sales "
        "where is_purchase group by 1, 2"
    ).df()
    cutoff = (pd.Timestamp(as_of) - pd.Timedelta(days=backtest_days)).date()
    data = calibration_and_holdout_data(
        purchases, "customer_id", "order_date", calibration_period_end=cutoff, observation_period_end=as_of,
        freq="D", monetary_value_col="net_amount",
    )  # fmt: skip
    bgnbd = BetaGeoFitter().fit(data["frequency_cal"], data["recency_cal"], data["T_cal"])
    repeat = data[(data["frequency_cal"] > 0) & (data["monetary_value_cal"] > 0)]
    gamma_gamma = GammaGammaFitter().fit(repeat["frequency_cal"], repeat["monetary_value_cal"])
    expected = bgnbd.conditional_expected_number_of_purchases_up_to_time(
        backtest_days, data["frequency_cal"], data["recency_cal"], data["T_cal"]
    )
    has_spend = data["monetary_value_cal"] > 0
    spend = gamma_gamma.conditional_expected_average_profit(
        data["frequency_cal"].where(has_spend, 0), data["monetary_value_cal"].where(has_spend, 0)
    )
    return pd.DataFrame({"customer_id": data.index, "predicted_revenue": np.asarray(expected * spend)})


def split_row(as_of: str, horizon: int, db: Path) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        published = (
            con.execute(
                "select published_model, validation_status, validation_note, aggregate_revenue_error, mae, "
                "normalized_gini, backtest_horizon_days, backtest_window from ml.clv_model_metrics "
                "where model_name = 'published' and customer_group = 'all'"
            )
            .df()
            .iloc[0]
        )
        baselines = (
            con.execute(
                "select model_name, aggregate_revenue_error, mae, normalized_gini from ml.clv_model_metrics "
                "where is_baseline and customer_group = 'all'"
            )
            .df()
            .set_index("model_name")
        )
        ((customers, predictions),) = con.execute(
            "select (select count(*) from marts.customer_rfm), (select count(*) from marts.clv_predictions)"
        ).fetchall()
        row = {"split": f"{as_of}, {horizon} d", "published": f"{predictions:,} of {customers:,}",
               "status": published["validation_status"], "window": published["backtest_window"]}  # fmt: skip
        if pd.isna(published["backtest_horizon_days"]):
            return row
        days = int(published["backtest_horizon_days"])
        actual = con.execute(
            "select customer_id, actual_revenue from ml.clv_backtest where model_name = 'baseline_spend_rate'"
        ).df()
        plain = actual.merge(plain_lifetimes(con, as_of, days), on="customer_id", how="left").fillna(0.0)
    lifetimes = evaluation.revenue_metrics(plain["actual_revenue"], plain["predicted_revenue"])
    row |= {"holdout_days": days, "model": published["published_model"]}
    for name, values in [("ours", published), ("lifetimes", lifetimes), *baselines.iterrows()]:
        short = {"baseline_last_period": "last_period", "baseline_spend_rate": "spend_rate"}.get(name, name)
        row[f"{short} error"] = f"{values['aggregate_revenue_error']:+.1%}"
        row[f"{short} MAE"] = round(float(values["mae"]), 2)
        row[f"{short} Gini"] = round(float(values["normalized_gini"]), 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="build every split first (writes CDNOW orders)")
    args = parser.parse_args()
    if args.build:
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "python_utils.tools.cdnow", "--out", str(WORK / "orders.csv")], check=True
        )
    rows = []
    for as_of, horizon in SPLITS:
        db = build(as_of, horizon) if args.build else WORK / f"clv_{as_of}_{horizon}.duckdb"
        rows.append(split_row(as_of, horizon, db))
    table = pd.DataFrame(rows).fillna("")
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()

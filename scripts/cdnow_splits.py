"""CDNOW at several (as_of_date, horizon_days) splits: build each, then compare the published
CLV model with both naive baselines and with the plain lifetimes route on the same split.

The plain lifetimes route (python_utils.reference.lifetimes_route) is what a user would run
instead, scored against the same actual holdout revenue as our models, on the same customers.

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
import pandas as pd

from python_utils.reference import lifetimes_route

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
        lifetimes = lifetimes_route.published_against_lifetimes(con, as_of)["lifetimes"]
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

"""fct_sales is incremental: loading the first months, then everything, equals a full build."""

import duckdb
import pandas as pd

from integration_tests.conftest import run_dbt
from python_utils.synth import write_shop


def test_incremental_run_equals_full_refresh(demo_shop, tmp_path):
    lines, truth = demo_shop["lines"], demo_shop["truth"]
    ordered_at = pd.to_datetime(lines["ordered_at"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    early = write_shop(lines[ordered_at < "2025-07-01"], truth, tmp_path / "early")
    db = tmp_path / "incremental.duckdb"
    # Day one: the first 30 months. Day two: all of it, merged into the same fct_sales.
    run_dbt("seed", tmp_path, db, {"transactions_path": str(early)})
    run_dbt("run", tmp_path, db, {"transactions_path": str(early)}, "--select", "+fct_sales")
    with duckdb.connect(str(db), read_only=True) as con:
        (first_max,) = con.execute("select max(order_date) from marts.fct_sales").fetchone()
    assert str(first_max) < "2025-07-01"
    run_dbt("run", tmp_path, db, {"transactions_path": str(demo_shop["data"])}, "--select", "+fct_sales")
    with duckdb.connect(str(db)) as con:
        con.execute(f"attach '{demo_shop['db']}' as full_build (read_only)")
        incremental_only = con.execute(
            "select count(*) from (select * from marts.fct_sales except all select * from full_build.marts.fct_sales)"
        ).fetchone()[0]
        full_only = con.execute(
            "select count(*) from (select * from full_build.marts.fct_sales except all select * from marts.fct_sales)"
        ).fetchone()[0]
        (rows,) = con.execute("select count(*) from marts.fct_sales").fetchone()
    assert rows > 0 and incremental_only == 0 and full_only == 0

"""`make snowflake-emulated`: the whole DAG for the snowflake target, without an account.

A generated shop is loaded into the emulator (fakesnow) as a raw table in two loads stamped
with a load time; dbt-snowflake then builds everything twice in this process: every model, data
test and unit test after the first load, and again after the second (incremental validation
and fct_sales' incremental update). SQL runs on fakesnow; the Python models run as the stored
procedures dbt-snowflake generates, in a Snowpark local-testing session
(snowpark_procedures.py), their tables feeding the SQL after them. The final tables are then
compared with dbt-duckdb's build of the same orders (floats to EMULATOR_TOLERANCE relative or
EMULATOR_ABSOLUTE_TOLERANCE).

Prints `snowflake-emulated: N/N models, T/T tests` per build and exits 1 unless every node
passed and the engines agree; writes report.json (counts, differences, what the Python models
were handed) in the work directory for integration_tests/test_snowflake.py.

    python -m integration_tests.snowflake_emulated <workdir> [--customers N]
    python -m integration_tests.snowflake_emulated <workdir> --run <dbt command>   (on what is there)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from dataclasses import asdict, replace
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from integration_tests.same_outputs import COMPARED, RUN_STAMPS, same_value  # noqa: E402

# Statements fakesnow does not implement, answered as no-ops (snowpark_procedures records the
# query tags and emulates the timestamp mapping).
NOT_EMULATED = [r"^\s*alter session (un)?set query_tag", r"^\s*alter session set timestamp_type_mapping"]
# Small samples, so that every seeded sample is drawn on both engines (1,500 customers).
SAMPLES = {"backtest_sample_size": 400, "xgboost_sample_size": 400, "cox_sample_size": 300,
           "segmentation_sample_size": 600}  # fmt: skip
# BTYD fits with more distinct rows than this are summed by Snowflake (weighted_rows), the others
# read into Python: both routes run here, and the DuckDB build reads them all.
WAREHOUSE_FIT_ROWS = 300
# The file a quarantined line came from: a warehouse table has none.
ENGINE_SPECIFIC = frozenset({"source_file"})
# Floats, relative. The BTYD fits are where the engines part: Snowflake sums the larger fits'
# likelihoods in SQL (in no fixed order), DuckDB's build reads the rows into numpy, and BFGS
# stops anywhere within its tolerance of the optimum; on this shop's flat Gamma-Gamma likelihood
# two runs ended 2e-6 apart, and every prediction moves with the fit. Absolute for values near
# zero that are differences of such numbers (an interval's lower bound: a prediction plus a
# negative residual quantile moved 8e-6 dollars on 0.064, 1.3e-4 relative): a hundredth of a cent.
EMULATOR_TOLERANCE = 1e-4
EMULATOR_ABSOLUTE_TOLERANCE = 1e-4
# Compared with DuckDB's build: what same_outputs compares, and every Python model's table.
EMULATOR_COMPARED = (*COMPARED, "ml.clv_btyd_fits", "ml.clv_bgnbd_terms", "ml.clv_model_scores")

DUMMY_CREDENTIALS = {"SNOWFLAKE_ACCOUNT": "dummy", "SNOWFLAKE_USER": "dummy", "SNOWFLAKE_PASSWORD": "dummy",
                     "SNOWFLAKE_ROLE": "dummy", "SNOWFLAKE_WAREHOUSE": "dummy", "SNOWFLAKE_DATABASE": "CLV",
                     "SNOWFLAKE_SCHEMA": "DBT"}  # fmt: skip
LOADED_AT = "_LOADED_AT"
# The raw table is found through the environment, as a scheduled run finds it.
RAW_LOCATION = {"CLV_RAW_DATABASE": "CLV", "CLV_RAW_SCHEMA": "RAW", "CLV_RAW_ORDERS_TABLE": "ORDERS"}
VARIABLES = {"btyd_max_fit_rows": WAREHOUSE_FIT_ROWS, "raw_loaded_at_column": LOADED_AT, **SAMPLES}


def shop(workdir: Path, customers: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A generated shop as raw text lines in two loads: the orders of the first nine tenths of
    the lines by date, then the rest, each stamped with its load time."""
    from python_utils.tools.synth import DirtyShares, ShopConfig, generate_shop, write_shop

    # A warehouse table has no unreadable CSV lines, and one export: several exports of an
    # order are told apart by the load time there.
    shares = replace(DirtyShares(), unreadable_line=0.0)
    lines, truth = generate_shop(ShopConfig(customers=customers, seed=5, dirty=shares, reexport_days=0))
    # Every 50th customer id padded as a spreadsheet export pads it (a blank before, a no-break
    # space after): the engines trim them alike, or a customer splits in two on one of them.
    ids = lines["customer_id"]
    padded = ids.notna() & (np.arange(len(lines)) % 50 == 0)
    lines.loc[padded, "customer_id"] = " " + ids[padded] + "\u00a0"
    data = write_shop(lines, truth, workdir / "raw")
    raw = pd.read_csv(data, dtype=str, keep_default_na=False).replace({"": None})
    # by order: an order arrives whole in one load (a line loaded again later would supersede
    # the order's earlier load, as raw_loaded_at_column means)
    ordered_at = pd.to_datetime(raw["ordered_at"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    latest = ordered_at.groupby(raw["order_id"].fillna("")).transform("max")
    late = (latest > ordered_at.quantile(0.9)).to_numpy() & raw["order_id"].notna().to_numpy()
    raw.columns = [c.upper() for c in raw.columns]
    first = raw[~late].assign(**{LOADED_AT: "2026-01-01 00:00:00"})
    second = raw[late].assign(**{LOADED_AT: "2026-01-02 00:00:00"})
    return first, second, truth


def counts(result) -> dict:
    """Models built and tests passed (data and unit tests) of a dbt build's results."""
    nodes = [r for r in result.result or [] if r.node.resource_type in ("model", "test", "unit_test")]
    models = [r for r in nodes if r.node.resource_type == "model"]
    tests = [r for r in nodes if r.node.resource_type != "model"]
    return {
        "models": sum(r.status == "success" for r in models),
        "models_total": len(models),
        "tests": sum(r.status == "pass" for r in tests),
        "tests_total": len(tests),
        "failed": [f"{r.node.unique_id}: {r.status} {str(r.message)[:300]}" for r in nodes
                   if r.status not in ("success", "pass")],
    }  # fmt: skip


def dbt_on_emulator(workdir: Path, *arguments: str):
    """A dbt command for the snowflake target, run in this process (fakesnow patches the
    connector here), with the project's vars for the emulated shop."""
    from dbt.cli.main import dbtRunner

    return dbtRunner().invoke(
        [*arguments, "--target", "snowflake", "--project-dir", str(REPO), "--threads", "1",
         "--vars", json.dumps(VARIABLES), "--target-path", str(workdir / "target"),
         "--log-path", str(workdir / "logs")]
    )  # fmt: skip


def emulator(workdir: Path):
    """The emulator on workdir's databases, with dbt-snowflake's Python procedures routed to a
    Snowpark local-testing session: (patch context, connection, procedure runner)."""
    import fakesnow
    import snowflake.connector

    from integration_tests.snowpark_procedures import ProcedureRunner, intercept, local_session

    (workdir / "fakesnow").mkdir(exist_ok=True)
    patch = fakesnow.patch(db_path=str(workdir / "fakesnow"), nop_regexes=NOT_EMULATED)
    patch.__enter__()
    conn = snowflake.connector.connect(database="CLV", schema="RAW")
    runner = ProcedureRunner(session=local_session(), emulator=conn)
    intercept(runner)
    return patch, conn, runner


def emulated_builds(workdir: Path, first: pd.DataFrame, second: pd.DataFrame) -> dict:
    """Both builds on the emulator."""
    import snowflake.connector.pandas_tools as pandas_tools

    from integration_tests.snowpark_procedures import SEEN_DTYPES

    builds = {}
    patch, conn, runner = emulator(workdir)
    try:
        for name, rows in (("first load", first), ("second load", second)):
            runner.written.clear()  # the Python models read this build's tables, not the last's
            pandas_tools.write_pandas(conn, rows, "ORDERS", database="CLV", schema="RAW",
                                      auto_create_table=name == "first load",
                                      overwrite=name == "first load")  # fmt: skip
            result = dbt_on_emulator(workdir, "build")
            builds[name] = {**counts(result), "success": bool(result.success),
                            "error": None if result.exception is None else str(result.exception)}  # fmt: skip
    finally:
        patch.__exit__(None, None, None)
    return {
        "builds": builds,
        "procedures": [{k: v for k, v in asdict(p).items() if k != "code"} for p in runner.procedures],
        "query_tags": runner.query_tags,
        "created": runner.created,
        "dtypes_handed_to_models": sorted(SEEN_DTYPES),
    }


def duckdb_build(workdir: Path, first: pd.DataFrame, second: pd.DataFrame) -> Path:
    """dbt-duckdb's build of both loads at once (a full validation, fct_sales built whole)."""
    orders = workdir / "duckdb" / "orders.csv"
    orders.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([first, second]).rename(columns=str.lower).to_csv(orders, index=False)
    db_path = workdir / "duckdb" / "clv.duckdb"
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "CLV_DUCKDB_PATH": str(db_path), "DBT_TARGET": "dev"}
    variables = {**VARIABLES, "orders_path": str(orders), "raw_loaded_at_column": LOADED_AT.lower()}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--exclude-resource-type", "unit_test",
         "--vars", json.dumps(variables), "--target-path", str(workdir / "duckdb" / "target"),
         "--log-path", str(workdir / "duckdb" / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the DuckDB build to compare with failed:\n{done.stdout[-4000:]}")
    return db_path


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


def _rows(con, schema: str, table: str) -> tuple[list[str], list[tuple]]:
    found = con.execute(
        "select column_name from information_schema.columns where lower(table_schema) = ? "
        "and lower(table_name) = ? order by ordinal_position", [schema.lower(), table.lower()]
    ).fetchall()  # fmt: skip
    columns = [name for (name,) in found if name.lower() not in RUN_STAMPS | ENGINE_SPECIFIC]
    if not columns:
        return [], []
    listed = ", ".join(f'"{name}"' for name in columns)
    rows = con.execute(f'select {listed} from "{schema}"."{table}"').fetchall()
    key = lambda row: tuple((v is None, str(_plain(v))) for v in row)  # noqa: E731
    return [c.lower() for c in columns], sorted(rows, key=key)


def differences(emulator_db: Path, duckdb_db: Path) -> list[str]:
    """Tables of the final builds that differ (COMPARED: the BI marts and the ML tables)."""
    found = []
    with (
        duckdb.connect(str(emulator_db), read_only=True) as snow,
        duckdb.connect(str(duckdb_db), read_only=True) as duck,
    ):
        tables = {
            t.lower() for (t,) in snow.execute("select table_name from information_schema.tables").fetchall()
        }
        for compared in EMULATOR_COMPARED:
            schema, table = compared.split(".")
            if table not in tables:
                found.append(f"{compared}: not built on the emulator")
                continue
            snow_columns, snow_rows = _rows(snow, f"DBT_{schema.upper()}", table.upper())
            duck_columns, duck_rows = _rows(duck, schema, table)
            if snow_columns != duck_columns:
                found.append(f"{compared}: columns {duck_columns} (DuckDB) against {snow_columns}")
            elif len(snow_rows) != len(duck_rows):
                found.append(f"{compared}: {len(duck_rows)} rows (DuckDB) against {len(snow_rows)}")
            else:
                bad = [
                    (d, s)
                    for d, s in zip(duck_rows, snow_rows, strict=True)
                    if not all(
                        same_value(x, y, EMULATOR_TOLERANCE, EMULATOR_ABSOLUTE_TOLERANCE)
                        for x, y in zip(d, s, strict=True)
                    )
                ]
                if bad:
                    found.append(
                        f"{compared}: {len(bad)} rows differ, e.g. DuckDB {bad[0][0]} against {bad[0][1]}"
                    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--customers", type=int, default=1_500)
    parser.add_argument("--run", nargs=argparse.REMAINDER,
                        help="instead: this dbt command on the workdir's emulator, as it was left")  # fmt: skip
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.update({**DUMMY_CREDENTIALS, **RAW_LOCATION, "DBT_PROFILES_DIR": str(REPO)})
    if args.run:
        patch = emulator(workdir)[0]
        try:
            result = dbt_on_emulator(workdir, *args.run)
        finally:
            patch.__exit__(None, None, None)
        print(json.dumps({**counts(result), "success": bool(result.success)}))
        return
    first, second, truth = shop(workdir, args.customers)
    report = emulated_builds(workdir, first, second)
    report["differences"] = differences(workdir / "fakesnow" / "CLV.db", duckdb_build(workdir, first, second))
    report["truth"] = truth
    (workdir / "report.json").write_text(json.dumps(report, default=str, indent=1))
    passed, lines = True, []
    for name, build in report["builds"].items():
        lines.append(f"snowflake-emulated ({name}): {build['models']}/{build['models_total']} models, "
                     f"{build['tests']}/{build['tests_total']} tests")  # fmt: skip
        lines += [f"   {failure}" for failure in build["failed"]]
        passed &= build["success"] and not build["failed"] and build["models_total"] > 0
    lines += [f"  differs from DuckDB: {difference}" for difference in report["differences"]]
    compared = len(EMULATOR_COMPARED)
    lines.append(f"snowflake-emulated: {compared - len(report['differences'])}/{compared} tables equal "
                 f"to dbt-duckdb's build (floats to {EMULATOR_TOLERANCE:g} relative or "
                 f"{EMULATOR_ABSOLUTE_TOLERANCE:g} absolute)")  # fmt: skip
    returncode = 0 if passed and not report["differences"] else 1
    print("\n".join(lines))
    # for the tests that read these builds (make snowflake-emulated runs them next)
    (workdir / "stdout.txt").write_text("\n".join(lines) + "\n")
    (workdir / "returncode.txt").write_text(str(returncode))
    raise SystemExit(returncode)


if __name__ == "__main__":
    main()

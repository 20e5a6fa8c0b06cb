"""Load raw orders into fakesnow and run the project with dbt-snowflake in this process.

fakesnow patches snowflake.connector in-process, and dbt runs in-process through dbtRunner,
so dbt-snowflake talks to the emulator. First the SQL layer (up to the first Python model);
then the Python models, each as the stored procedure dbt-snowflake generates, run in a
Snowpark local-testing session (integration_tests/snowpark_procedures.py). SQL after the
Python models and their tests are left out (fakesnow lacks functions they use), as are unit
tests (fakesnow cannot create the temporary tables dbt uses for them; they run on DuckDB).
Prints one JSON line of counts; each Python model's table lands in <workdir>/outputs.

`run_on_fakesnow.py deploy <zip> <release> <workdir>` runs `make deploy-snowflake`'s macro on a
database with no schema yet and prints what the stage then lists.
"""

import json
import os
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

import fakesnow
import pandas as pd
import snowflake.connector
import snowflake.connector.pandas_tools as pandas_tools
from dbt.cli.main import dbtRunner

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PYTHON_MODELS = ("segmentation_metrics", "segmentation_centroids", "clv_btyd_fits", "clv_model_fits",
                 "clv_bgnbd_terms", "clv_model_scores")  # fmt: skip
# statements fakesnow does not implement, answered as no-ops (the runner records the tags)
NOT_EMULATED = [r"^\s*alter session (un)?set query_tag"]
# Small samples, so that every seeded sample is drawn on both engines (1,500 customers).
SAMPLES = {
    "backtest_sample_size": 400,
    "xgboost_sample_size": 400,
    "cox_sample_size": 300,
    "segmentation_sample_size": 600,
}
# BTYD fits with more distinct rows than this are summed by Snowflake (weighted_rows), the others
# read into Python: both routes run here, and the DuckDB build reads them all.
WAREHOUSE_FIT_ROWS = 300
VARS = json.dumps({"raw_database": "CLV", "raw_schema": "RAW", "raw_orders_table": "ORDERS",
                   "btyd_max_fit_rows": WAREHOUSE_FIT_ROWS, **SAMPLES})  # fmt: skip


def dbt(workdir: str, *args: str):
    return dbtRunner().invoke(
        [*args, "--target", "snowflake", "--project-dir", str(REPO), "--threads", "1", "--vars", VARS,
         "--target-path", f"{workdir}/target", "--log-path", f"{workdir}/logs"]
    )  # fmt: skip


def main(data: str, workdir: str) -> None:
    from integration_tests.snowpark_procedures import SEEN_DTYPES, ProcedureRunner, intercept, local_session

    warnings.simplefilter("ignore")
    os.environ["DBT_PROFILES_DIR"] = str(REPO)
    os.makedirs(f"{workdir}/fakesnow", exist_ok=True)
    with fakesnow.patch(db_path=f"{workdir}/fakesnow", nop_regexes=NOT_EMULATED):
        conn = snowflake.connector.connect(database="CLV", schema="RAW")
        raw = pd.read_csv(data, dtype=str, keep_default_na=False).replace({"": None})
        raw.columns = [c.upper() for c in raw.columns]
        pandas_tools.write_pandas(conn, raw, "ORDERS", auto_create_table=True, overwrite=True)
        runner = ProcedureRunner(session=local_session(), emulator=conn)
        intercept(runner)
        sql_layer = dbt(
            workdir, "build",
            # the ML layer's SQL up to the first Python model (samples, fit rows, summaries)
            "--exclude", *(f"{m}+" for m in PYTHON_MODELS), "path:tests/ml",
            "--exclude-resource-type", "unit_test",
        )  # fmt: skip
        python_models = dbt(workdir, "run", "--select", *PYTHON_MODELS)
        cursor = conn.cursor()
        count = lambda table: cursor.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: E731
        os.makedirs(f"{workdir}/outputs", exist_ok=True)
        for model in PYTHON_MODELS if python_models.success else ():
            frame = cursor.execute(f"select * from CLV.DBT_ML.{model.upper()}").fetch_pandas_all()
            frame.to_parquet(f"{workdir}/outputs/{model}.parquet")
        report = {
            "success": bool(sql_layer.success),
            "python_models_success": bool(python_models.success),
            "python_models_error": None
            if python_models.success
            else str(
                python_models.exception
                or [r.message for r in python_models.result or [] if r.status != "success"]
            ),
            "procedures": [{k: v for k, v in asdict(p).items() if k != "code"} for p in runner.procedures],
            "query_tags": runner.query_tags,
            "created": runner.created,
            "dtypes_handed_to_models": sorted(SEEN_DTYPES),
            "fct_sales": count("CLV.DBT_MARTS.FCT_SALES"),
            "customer_rfm": count("CLV.DBT_MARTS.CUSTOMER_RFM"),
            "sample_order": [
                row[0]
                for row in cursor.execute(
                    "select customer_id from CLV.DBT_ML.SEGMENTATION_SAMPLE order by sample_rank"
                ).fetchall()
            ],
            "fit_sample": {
                name: [
                    row[0]
                    for row in cursor.execute(
                        "select customer_id from CLV.DBT_ML.CLV_FIT_SAMPLE where snapshot_name = %s order by sample_rank",
                        (name,),
                    ).fetchall()
                ]
                for name in ("scoring", "calibration", "training")
            },  # fmt: skip
            "btyd_fit_rows": count("CLV.DBT_ML.CLV_BTYD_FIT_ROWS"),
            "btyd_fit_rows_per_fit": sorted(
                cursor.execute(
                    "select snapshot_name, model_name, count(*) from CLV.DBT_ML.CLV_BTYD_FIT_ROWS group by 1, 2"
                ).fetchall()
            ),
            "backtest_customers": {
                name: sorted(
                    row[0]
                    for row in cursor.execute(
                        "select customer_id from CLV.DBT_INTERMEDIATE.INT_CUSTOMER_SNAPSHOTS where snapshot_name = %s",
                        (name,),
                    ).fetchall()
                )
                for name in ("calibration", "training")
            },  # fmt: skip
            "rejected": dict(
                cursor.execute(
                    "select reject_reason, count(*) from CLV.DBT_INTERMEDIATE.INT_ORDER_LINES_REJECTED group by 1"
                ).fetchall()
            ),
        }
    print(json.dumps(report, default=str))


def deploy(zip_path: str, release: str, workdir: str) -> None:
    warnings.simplefilter("ignore")
    os.environ["DBT_PROFILES_DIR"] = str(REPO)
    os.makedirs(f"{workdir}/fakesnow", exist_ok=True)
    with fakesnow.patch(db_path=f"{workdir}/fakesnow", nop_regexes=NOT_EMULATED):
        conn = snowflake.connector.connect(database="CLV")
        schemas = [r[1] for r in conn.cursor().execute("show schemas in database CLV").fetchall()]
        args = f"{{zip_path: '{zip_path}', release: '{release}'}}"
        result = dbt(workdir, "run-operation", "upload_python_utils", "--args", args)
        refused = dbt(
            workdir, "run-operation", "upload_python_utils", "--args", args.replace(release, "0" * 12)
        )
        stages = conn.cursor().execute("show stages in database CLV").fetchall()
        listed = [row[0] for stage in stages
                  for row in conn.cursor().execute(f"list @CLV.{stage[3]}.{stage[1]}").fetchall()]  # fmt: skip
    print(json.dumps({"schemas_before": schemas, "success": bool(result.success),
                      "wrong_release_refused": not refused.success, "listed": listed}, default=str))  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1] == "deploy":
        deploy(*sys.argv[2:5])
    else:
        main(sys.argv[1], sys.argv[2])

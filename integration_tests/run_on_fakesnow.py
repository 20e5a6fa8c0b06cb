"""Load raw orders into fakesnow and run the SQL layer with dbt-snowflake in this process.

fakesnow patches snowflake.connector in-process, and dbt runs in-process through dbtRunner,
so dbt-snowflake talks to the emulator. Python models (from the first, models/ml) and their tests need
Snowpark and are left out here; unit tests are left out because fakesnow cannot create the
temporary tables dbt uses for them (they run on DuckDB). Prints one JSON line of counts.
"""

import json
import os
import sys
import warnings
from pathlib import Path

import fakesnow
import pandas as pd
import snowflake.connector
import snowflake.connector.pandas_tools as pandas_tools
from dbt.cli.main import dbtRunner

REPO = Path(__file__).resolve().parents[1]


def main(data: str, workdir: str) -> None:
    warnings.simplefilter("ignore")
    os.environ["DBT_PROFILES_DIR"] = str(REPO)
    os.makedirs(f"{workdir}/fakesnow", exist_ok=True)
    with fakesnow.patch(db_path=f"{workdir}/fakesnow"):
        conn = snowflake.connector.connect(database="CLV", schema="RAW")
        raw = pd.read_csv(data, dtype=str, keep_default_na=False).replace({"": None})
        raw.columns = [c.upper() for c in raw.columns]
        pandas_tools.write_pandas(conn, raw, "ORDERS", auto_create_table=True, overwrite=True)
        result = dbtRunner().invoke(
            ["build", "--target", "snowflake", "--project-dir", str(REPO), "--threads", "1",
             # the ML layer's SQL up to the first Python model (samples, fit rows, summaries)
             "--exclude", "segmentation_metrics+", "clv_btyd_fits+", "path:tests/ml",
             "--exclude-resource-type", "unit_test",
             "--vars", "{raw_database: CLV, raw_schema: RAW, raw_orders_table: ORDERS}",
             "--target-path", f"{workdir}/target", "--log-path", f"{workdir}/logs"]
        )  # fmt: skip
        cursor = conn.cursor()
        count = lambda table: cursor.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: E731
        report = {
            "success": bool(result.success),
            "fct_sales": count("CLV.DBT_MARTS.FCT_SALES"),
            "customer_rfm": count("CLV.DBT_MARTS.CUSTOMER_RFM"),
            "sample_order": [
                row[0]
                for row in cursor.execute(
                    "select customer_id from CLV.DBT_ML.SEGMENTATION_SAMPLE order by sample_rank"
                ).fetchall()
            ],
            "btyd_fit_rows": count("CLV.DBT_ML.CLV_BTYD_FIT_ROWS"),
            "rejected": dict(
                cursor.execute(
                    "select reject_reason, count(*) from CLV.DBT_INTERMEDIATE.INT_ORDER_LINES_REJECTED group by 1"
                ).fetchall()
            ),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

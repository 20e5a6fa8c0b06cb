"""The Snowflake operations on the emulator (fakesnow), run with dbt-snowflake in this process
(fakesnow patches snowflake.connector here): `make deploy-snowflake`'s and `make
check-snowflake-packages`' macros. The whole DAG on the emulator is snowflake_emulated.py.

`run_on_fakesnow.py deploy <zip> <release> <workdir>` runs the deploy macro on a database with no
schema yet and prints what the stage then lists; `run_on_fakesnow.py packages <channels as
JSON> <workdir>` runs the package check against each; `run_on_fakesnow.py ci-schemas <workdir>`
slim CI's clean-up among other schemas.
"""

import json
import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import fakesnow
import pandas as pd
import snowflake.connector
import snowflake.connector.pandas_tools as pandas_tools
from dbt.cli.main import dbtRunner

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from integration_tests.snowflake_emulated import NOT_EMULATED  # noqa: E402

VARS = json.dumps({"raw_database": "CLV", "raw_schema": "RAW", "raw_orders_table": "ORDERS"})


@contextmanager
def emulator(workdir: str):
    """A connection to database CLV on the emulator kept in workdir, dbt-snowflake patched to it."""
    warnings.simplefilter("ignore")
    os.environ["DBT_PROFILES_DIR"] = str(REPO)
    os.makedirs(f"{workdir}/fakesnow", exist_ok=True)
    with fakesnow.patch(db_path=f"{workdir}/fakesnow", nop_regexes=NOT_EMULATED):
        yield snowflake.connector.connect(database="CLV")


def dbt(workdir: str, *args: str):
    return dbtRunner().invoke(
        [*args, "--target", "snowflake", "--project-dir", str(REPO), "--threads", "1", "--vars", VARS,
         "--target-path", f"{workdir}/target", "--log-path", f"{workdir}/logs"]
    )  # fmt: skip


def deploy(zip_path: str, release: str, workdir: str) -> None:
    with emulator(workdir) as conn:
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


def packages(channels_json: str, workdir: str) -> None:
    """check_snowflake_packages against a packages view holding each channel of
    ``channels_json`` in turn (lists of [name, version, runtime_version] rows), in one process
    (dbt parses once): per channel, whether it passed and what it logged."""
    log_path = Path(f"{workdir}/logs/dbt.log")
    checks = []
    with emulator(workdir) as conn:
        conn.cursor().execute("create schema if not exists CLV.FIXTURES")
        for served_rows in json.loads(channels_json):
            served = pd.DataFrame(served_rows, columns=["PACKAGE_NAME", "VERSION", "RUNTIME_VERSION"])
            served["LANGUAGE"] = "python"
            pandas_tools.write_pandas(
                conn, served, "PACKAGES", schema="FIXTURES", auto_create_table=True, overwrite=True
            )
            logged = len(log_path.read_text()) if log_path.exists() else 0
            result = dbt(workdir, "run-operation", "check_snowflake_packages",
                         "--args", "{packages_view: CLV.FIXTURES.PACKAGES, resolve: false}")  # fmt: skip
            checks.append({"success": bool(result.success), "log": log_path.read_text()[logged:][-4000:]})
    print(json.dumps(checks))


def ci_schemas(workdir: str) -> None:
    """drop_ci_schemas for ci_pr_7 among other pull requests' and production's schemas, and for a
    name that is not a pull request's: the schemas left, and whether the second was refused."""
    with emulator(workdir) as conn:
        for schema in (
            "CI_PR_7",
            "CI_PR_7_MARTS",
            "CI_PR_7_PACKAGES",
            "CI_PR_71",
            "CI_PR_71_MARTS",
            "CLV_MARTS",
        ):
            conn.cursor().execute(f"create schema if not exists CLV.{schema}")
        dropped = dbt(workdir, "run-operation", "drop_ci_schemas", "--args", "{schema: ci_pr_7}")
        refused = dbt(workdir, "run-operation", "drop_ci_schemas", "--args", "{schema: clv}")
        left = sorted(r[1] for r in conn.cursor().execute("show schemas in database CLV").fetchall())
    print(json.dumps({"success": bool(dropped.success), "refused": not refused.success, "left": left}))


if __name__ == "__main__":
    if sys.argv[1] == "deploy":
        deploy(*sys.argv[2:5])
    elif sys.argv[1] == "ci-schemas":
        ci_schemas(sys.argv[2])
    else:
        packages(*sys.argv[2:4])

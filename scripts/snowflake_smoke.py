"""`make snowflake-smoke`: check a Snowflake account end to end on a small fixture, with the
credentials of the profile's snowflake target (SNOWFLAKE_* environment variables).

In scratch schemas <SNOWFLAKE_SCHEMA>_smoke_<run id>* (dropped at the end unless --keep):
1. the pinned packages are served by the account's Anaconda channel (check_snowflake_packages);
2. the role can create the schemas and the stage, and the python_utils release lands where the
   models' +imports point (upload_python_utils);
3. a generated 2,000-customer shop is loaded as the raw orders table (the first nine tenths of
   its lines by date, with a _LOADED_AT column);
4. `dbt build` runs every model, seed, unit test and data test there;
5. incremental validation (raw_loaded_at_column): a full validation, then the last tenth is
   appended as a second load and validated incrementally; raw = kept + quarantined is tested.
Each step says which grant or setting to look at when it fails (docs/snowflake.md: grants).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))
HINTS = {
    "packages": "accept the Anaconda terms (ORGADMIN) or change +packages to served versions",
    "deploy": "the role needs CREATE SCHEMA on the database (it then owns the schema and the stage)",
    "load": "the role needs CREATE SCHEMA on the database and a warehouse it may use",
    "build": "see the failing node above; USAGE on ml_warehouse if you set it",
    "incremental": "see the failing node above (int_order_lines_flagged's delete+insert)",
}


def step(name: str, command: list[str], env: dict) -> None:
    print(f"== {name}: {' '.join(command)}", flush=True)
    done = subprocess.run(command, cwd=REPO, env=env)
    if done.returncode != 0:
        raise SystemExit(f"snowflake-smoke failed at {name}: {HINTS[name]}")


def connect(env: dict):
    """A connection with the profile's credentials (a password or a key pair)."""
    import snowflake.connector

    credentials = {"password": env.get("SNOWFLAKE_PASSWORD"),
                   "private_key_file": env.get("SNOWFLAKE_PRIVATE_KEY_PATH"),
                   "private_key_file_pwd": env.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")}  # fmt: skip
    return snowflake.connector.connect(
        account=env["SNOWFLAKE_ACCOUNT"], user=env["SNOWFLAKE_USER"], role=env["SNOWFLAKE_ROLE"],
        warehouse=env["SNOWFLAKE_WAREHOUSE"], database=env["SNOWFLAKE_DATABASE"],
        **{k: v for k, v in credentials.items() if v},
    )  # fmt: skip


def fixture_loads(customers: int):
    """A generated shop as text columns like a raw landing table, in two loads: the first nine
    tenths of the lines by date (and the unparsable dates), then the last tenth."""
    import pandas as pd

    from python_utils.tools.synth import ShopConfig, generate_shop, write_shop

    lines, truth = generate_shop(ShopConfig(customers=customers, seed=7))
    data = write_shop(lines, truth, REPO / "build" / "smoke")
    raw = pd.read_csv(data, dtype=str, keep_default_na=False).replace({"": None})
    ordered_at = pd.to_datetime(raw["ordered_at"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    late = ordered_at > ordered_at.quantile(0.9)
    raw.columns = [c.upper() for c in raw.columns]
    return (
        raw[~late].assign(_LOADED_AT="2026-01-01 00:00:00"),
        raw[late].assign(_LOADED_AT="2026-01-02 00:00:00"),
    )


def load(env: dict, schema: str, rows, first: bool) -> str:
    """Rows into <database>.<schema>.ORDERS: created by the first load, appended to after."""
    from snowflake.connector.pandas_tools import write_pandas

    with connect(env) as conn:
        conn.cursor().execute(f"create schema if not exists {schema}")
        write_pandas(conn, rows, "ORDERS", schema=schema, auto_create_table=first, overwrite=first)
    return f"{len(rows)} raw lines"


def drop_schemas(env: dict, prefix: str) -> None:
    with connect(env) as conn:
        cursor = conn.cursor()
        for row in cursor.execute(f"show schemas like '{prefix.upper()}%'").fetchall():
            cursor.execute(f'drop schema if exists "{row[1]}" cascade')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch schemas")
    args = parser.parse_args()
    missing = [v for v in ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_ROLE", "SNOWFLAKE_WAREHOUSE",
                           "SNOWFLAKE_DATABASE") if not os.environ.get(v)]  # fmt: skip
    if missing:
        raise SystemExit(f"snowflake-smoke needs {', '.join(missing)} (docs/snowflake.md)")
    scratch = f"{os.environ.get('SNOWFLAKE_SCHEMA', 'clv')}_smoke_{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "DBT_TARGET": "snowflake", "SNOWFLAKE_SCHEMA": scratch,
           "DBT_PROFILES_DIR": str(REPO)}  # fmt: skip
    release = subprocess.check_output(
        [sys.executable, "-m", "python_utils.tools.package", "--release"], text=True
    )
    zip_path = REPO / "build" / "python_utils.zip"
    raw = {"raw_schema": f"{scratch}_raw", "raw_orders_table": "ORDERS"}
    raw_vars, incremental_vars = json.dumps(raw), json.dumps({**raw, "raw_loaded_at_column": "_LOADED_AT"})
    try:
        step("packages", [DBT, "run-operation", "check_snowflake_packages"], env)
        step("deploy", [DBT, "run-operation", "upload_python_utils", "--args",
                        f"{{zip_path: '{zip_path}', release: '{release.strip()}'}}"], env)  # fmt: skip
        first_load, second_load = fixture_loads(args.customers)
        try:
            print("== load:", load(env, f"{scratch}_raw", first_load, first=True), flush=True)
        except Exception as error:
            raise SystemExit(f"snowflake-smoke failed at load ({error}): {HINTS['load']}") from error
        step("build", [DBT, "build", "--vars", raw_vars], env)
        validation = [DBT, "build", "--vars", incremental_vars, "--selector", "validation_layer"]
        step("incremental", validation, env)
        print("== load:", load(env, f"{scratch}_raw", second_load, first=False), flush=True)
        step("incremental", validation, env)
        print(f"snowflake-smoke passed in {env['SNOWFLAKE_DATABASE']}.{scratch}_*")
    finally:
        if not args.keep:
            drop_schemas(env, scratch)


if __name__ == "__main__":
    main()

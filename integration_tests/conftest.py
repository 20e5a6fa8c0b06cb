"""Real dbt builds into throw-away DuckDB files, on small generated data and on CDNOW."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from python_utils.tools.cdnow import load_cdnow_order_lines
from python_utils.tools.synth import ShopConfig, generate_shop, write_shop

REPO = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))


SQL_LAYER = ("--exclude", "path:models/ml+", "path:tests/ml")  # up to the SQL marts, no ML
NO_TESTS = ("--exclude-resource-type", "test", "unit_test")  # with `build`: seeds and models only
# dbt's unit tests do not depend on the data: they run in the demo builds (once per worker) and
# `make demo`, and are left out of the other test builds (2 s each).
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")


def dbt_command(
    command: str,
    workdir: Path,
    db_path: Path,
    variables: dict,
    *extra: str,
    env: dict | None = None,
    unit_tests: bool = False,
) -> tuple[list[str], dict]:
    """The arguments and environment of a dbt command (e.g. "build", "docs generate") against
    db_path, with its target and logs under workdir."""
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "CLV_DUCKDB_PATH": str(db_path), **(env or {})}
    if command == "build" and not unit_tests and "--exclude-resource-type" not in extra:
        extra = (*extra, *NO_UNIT_TESTS)
    args = [
        DBT, *command.split(),
        "--project-dir", str(REPO),
        "--target-path", str(workdir / "target"),
        "--log-path", str(workdir / "logs"),
        "--vars", json.dumps(variables),
        *extra,
    ]  # fmt: skip
    return args, env


def invoke_dbt(command: str, *arguments, **options) -> subprocess.CompletedProcess:
    """Run dbt_command(command, *arguments, **options) and return the finished process
    (output in stdout)."""
    args, env = dbt_command(command, *arguments, **options)
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)


def run_dbt(command: str, *arguments, **options) -> str:
    """invoke_dbt, failing the test with dbt's output if the command fails."""
    done = invoke_dbt(command, *arguments, **options)
    if done.returncode != 0:
        summary = done.stdout.split("Completed with")[-1] if "Completed with" in done.stdout else done.stdout
        pytest.fail(f"dbt {command} failed:\n{summary[-6000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def query_frame(db_path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory) -> dict:
    """The `make demo` shop (default config: 20,000 customers, seed 42), built with `dbt build`."""
    workdir = tmp_path_factory.mktemp("demo")
    lines, truth = generate_shop(ShopConfig())
    data = write_shop(lines, truth, workdir / "raw")
    db_path = workdir / "clv.duckdb"
    variables = {"orders_path": str(data)}
    run_dbt("build", workdir, db_path, variables, unit_tests=True)
    return {
        "workdir": workdir,
        "data": data,
        "db": db_path,
        "truth": truth,
        "lines": lines,
        "variables": variables,
    }


@pytest.fixture(scope="session")
def cdnow_shop(tmp_path_factory) -> dict:
    """CDNOW_master through orders_path, with an as_of_date inside the data and a 182-day
    horizon whose backtest holdout holds the December peak (one of the issue's splits)."""
    workdir = tmp_path_factory.mktemp("cdnow")
    lines = load_cdnow_order_lines()
    data = workdir / "orders.csv"
    lines.to_csv(data, index=False)
    db_path = workdir / "clv.duckdb"
    as_of = "1998-03-31"
    variables = {"orders_path": str(data), "as_of_date": as_of, "horizon_days": 182}
    run_dbt("build", workdir, db_path, variables)
    return {"workdir": workdir, "db": db_path, "lines": lines, "as_of": as_of, "variables": variables}

"""Builds of two revisions of the project compared table by table: a change meant to keep
behaviour (a refactor, a split, a move) must leave every published table equal row for row.

`python -m integration_tests.same_outputs BASE_DB NEW_DB` prints the differences of two builds;
test_same_outputs.py builds the revision before the redesign and compares it with this one."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from integration_tests.conftest import DBT, REPO

# What BI reads (the exposures) and the ML tables behind clv_predictions, by schema.table.
COMPARED = (
    "marts.fct_sales",
    "marts.dim_customers",
    "marts.customer_rfm",
    "marts.customer_segments",
    "marts.customer_segment_profiles",
    "marts.clv_predictions",
    "marts.clv_tier_budget",
    "marts.clv_tier_segment_summary",
    "marts.max_acquisition_cost",
    "ml.clv_model_fits",
    "ml.clv_model_metrics",
    "ml.clv_backtest",
    "ml.segmentation_metrics",
    "ml.segmentation_centroids",
    "intermediate.int_order_lines_rejected",
)
# Stamped with the moment or the duration of the run, so never equal between two builds; and
# model_version, a hash of the fitted parameters, which moves with their last bits (the
# parameters themselves are compared, to the tolerance, in clv_model_fits).
RUN_STAMPS = frozenset(
    {"scored_at", "validated_at", "fitted_at", "run_at", "run_id", "fit_seconds", "model_version"}
)
# For floats, relative: parallel sums add in another order on every run (a rank correlation of
# 20k customers moved by 7e-9 between two builds of one commit); the SQL = Python reference
# tests hold the same 1e-6.
TOLERANCE = 1e-6


def build_revision(revision: str, workdir: Path, db_path: Path, variables_json: str) -> None:
    """dbt build of the project as it was at a git revision (its models, macros, seeds and its
    python_utils, ahead of the installed one on the path) into db_path."""
    source = workdir / "source"
    if not source.exists():
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "--force", str(source), revision],
            check=True,
            capture_output=True,
        )
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "DBT_PROFILES_DIR": str(source),
        "CLV_DUCKDB_PATH": str(db_path),
    }
    args = [
        DBT, "build",
        "--project-dir", str(source),
        "--target-path", str(workdir / "target"),
        "--log-path", str(workdir / "logs"),
        "--vars", variables_json,
        "--exclude-resource-type", "unit_test",
    ]  # fmt: skip
    done = subprocess.run(args, cwd=source, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dbt build at {revision} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")


def remove_worktree(workdir: Path) -> None:
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "remove", "--force", str(workdir / "source")],
        capture_output=True,
    )


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> tuple[list[str], list[tuple]]:
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            table.split("."),
        ).fetchall()
        if name not in RUN_STAMPS
    ]
    if not columns:
        return [], []
    listed = ", ".join(f'"{name}"' for name in columns)
    rows = con.execute(f"select {listed} from {table} order by all").fetchall()
    return columns, rows


def same_value(before, after, tolerance: float = TOLERANCE, absolute: float = 1e-9) -> bool:
    """Equal, floats to ``tolerance`` relative or ``absolute`` (a decimal read as a float:
    another engine's NUMBER), JSON text compared value by value."""
    before, after = (float(v) if isinstance(v, Decimal) else v for v in (before, after))
    if isinstance(before, str) and isinstance(after, str) and before[:1] in "[{" and before != after:
        try:
            before, after = json.loads(before), json.loads(after)
        except ValueError:
            return False
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(
            same_value(before[k], after[k], tolerance, absolute) for k in before
        )
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(
            same_value(b, a, tolerance, absolute) for b, a in zip(before, after, strict=True)
        )
    if isinstance(before, float) and isinstance(after, float):
        if math.isnan(before) or math.isnan(after):
            return math.isnan(before) and math.isnan(after)
        return math.isclose(before, after, rel_tol=tolerance, abs_tol=absolute)
    return before == after


def table_differences(before_db: Path, after_db: Path, table: str) -> list[str]:
    """What differs in one table between two builds (columns, row count, first rows that
    differ), empty when they are equal row for row."""
    with duckdb.connect(str(before_db), read_only=True) as before_con:
        before_columns, before_rows = _rows(before_con, table)
    with duckdb.connect(str(after_db), read_only=True) as after_con:
        after_columns, after_rows = _rows(after_con, table)
    if not before_columns or not after_columns:
        return [f"{table}: not in the {'first' if not before_columns else 'second'} build"]
    if before_columns != after_columns:
        return [f"{table}: columns {before_columns} -> {after_columns}"]
    if len(before_rows) != len(after_rows):
        return [f"{table}: {len(before_rows):,} rows -> {len(after_rows):,}"]
    differences = []
    for before, after in zip(before_rows, after_rows, strict=True):
        changed = [
            f"{name} {old!r} -> {new!r}"
            for name, old, new in zip(before_columns, before, after, strict=True)
            if not same_value(old, new)
        ]
        if changed:
            differences.append(f"{table}: row {before[:2]}: " + "; ".join(changed))
        if len(differences) == 5:
            break
    return differences


def build_differences(before_db: Path, after_db: Path) -> list[str]:
    return [line for table in COMPARED for line in table_differences(before_db, after_db, table)]


if __name__ == "__main__":
    found = build_differences(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) or "equal row for row")
    sys.exit(1 if found else 0)

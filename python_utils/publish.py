"""Publish the BI-facing tables of a finished DuckDB build for readers that never touch the
build's database file.

A DuckDB file has one writer or many readers across processes, never both: a dashboard holding
`clv.duckdb` open makes the next `dbt build` fail on the lock, and a build locks every reader
out. So readers get their own files, written after a successful build:

    <out>/runs/<run_id>/<table>.parquet   each table of one run (run_id = dbt's invocation_id)
    <out>/runs/<run_id>/_run.json         which run it is
    <out>/clv_bi.duckdb                   views over one run's Parquet + the published_run table
    <out>/current -> runs/<run_id>        the latest complete run, for tools that read Parquet

A run's folder is written under a temporary name and renamed when complete; then a new
`clv_bi.duckdb` is written beside the old one and renamed over it, and `current` is swapped the
same way. Renames are atomic (POSIX), so a reader sees the previous complete run or the new
one, never a mix; a connection opened before the swap keeps reading its run (its views name
that run's files; the last KEEP_RUNS runs are kept) until it reconnects. Nothing is published
unless dbt's run_results.json says every node of the build succeeded and every published table
was rebuilt in it: a failed build leaves the readers on the last good run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

# name readers see -> the build's schema.table
PUBLISHED_TABLES = {
    "fct_sales": "marts.fct_sales",
    "dim_customers": "marts.dim_customers",
    "customer_rfm": "marts.customer_rfm",
    "customer_segments": "marts.customer_segments",
    "customer_segment_profiles": "marts.customer_segment_profiles",
    "clv_predictions": "marts.clv_predictions",
    "clv_model_metrics": "ml.clv_model_metrics",
    "clv_model_runs": "ml.clv_model_runs",
    "clv_tier_segment_summary": "marts.clv_tier_segment_summary",
    "clv_tier_budget": "marts.clv_tier_budget",
    "max_acquisition_cost": "marts.max_acquisition_cost",
}
BI_DATABASE = "clv_bi.duckdb"
KEEP_RUNS = 3
OK_STATUSES = {"success", "pass", "warn", "no-op"}  # no-op: exposures


class NotPublished(RuntimeError):
    """The build is not one to publish (it failed, or did not rebuild every published table)."""


@dataclass(frozen=True)
class Published:
    run_id: str
    run_dir: Path
    database: Path
    rows: dict[str, int]


def check_build(run_results: dict) -> str:
    """The build's run id (dbt's invocation_id), or NotPublished naming what went wrong."""
    results = run_results.get("results", [])
    failed = [f"{r['unique_id']} ({r['status']})" for r in results if r["status"] not in OK_STATUSES]
    if failed:
        raise NotPublished(f"the build did not succeed: {', '.join(failed[:5])}")
    built = {r["unique_id"] for r in results}
    missing = [name for name in PUBLISHED_TABLES if f"model.clv.{name}" not in built]
    if missing:
        raise NotPublished(f"the build did not rebuild {', '.join(missing)}: publishing it would mix runs")
    return run_results["metadata"]["invocation_id"]


def publish(database: Path, run_results: Path, out: Path) -> Published:
    """Publish ``database``'s tables for the build ``run_results`` describes (see the module)."""
    run_id = check_build(json.loads(run_results.read_text()))
    out = out.resolve()
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = runs / run_id
    if not run_dir.exists():
        staging = runs / f".{run_id}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        rows = export_tables(database, staging)
        record = {"run_id": run_id, "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
                  "source": str(Path(database).resolve()), "rows": rows}  # fmt: skip
        (staging / "_run.json").write_text(json.dumps(record, indent=2))
        os.replace(staging, run_dir)
    record = json.loads((run_dir / "_run.json").read_text())
    os.replace(write_bi_database(run_dir, record, out / f".{BI_DATABASE}.{run_id}"), out / BI_DATABASE)
    swap_link(out / "current", Path("runs") / run_id)
    prune(runs, keep=run_id)
    return Published(run_id, run_dir, out / BI_DATABASE, record["rows"])


def export_tables(database: Path, folder: Path) -> dict[str, int]:
    rows = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for name, table in PUBLISHED_TABLES.items():
            path = folder / f"{name}.parquet"
            # COPY answers with the number of rows it wrote
            rows[name] = con.execute(f"copy (select * from {table}) to '{path}' (format parquet)").fetchone()[
                0
            ]
    return rows


def write_bi_database(run_dir: Path, record: dict, path: Path) -> Path:
    """A small DuckDB file of views over one run's Parquet files, and which run it is."""
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        for name in PUBLISHED_TABLES:
            parquet = str(run_dir / f"{name}.parquet").replace("'", "''")
            con.execute(f"create view {name} as select * from read_parquet('{parquet}')")
        con.execute(
            "create table published_run as select ? as run_id, cast(? as timestamptz) as published_at, ? as source",
            [record["run_id"], record["published_at"], record["source"]],
        )
    return path


def swap_link(link: Path, points_to: Path) -> None:
    staging = link.with_name(f".{link.name}.new")
    staging.unlink(missing_ok=True)
    staging.symlink_to(points_to, target_is_directory=True)
    os.replace(staging, link)


def prune(runs: Path, keep: str) -> None:
    """Remove all but the KEEP_RUNS most recent complete runs (never ``keep``)."""
    complete = sorted((d for d in runs.iterdir() if d.is_dir() and not d.name.startswith(".")),
                      key=lambda d: (d / "_run.json").stat().st_mtime, reverse=True)  # fmt: skip
    for old in complete[KEEP_RUNS:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def connection_help(published: Path) -> str:
    """How a BI tool connects to the published output (printed by `make demo`)."""
    published = published.resolve()
    database = published / BI_DATABASE
    return "\n".join([
        f"Published for BI tools (safe to keep open while dbt builds): {published}",
        f"  DuckDB file (views, read-only):  {database}",
        f"  Parquet of the latest run:       {published / 'current'}/<table>.parquet",
        f"  DuckDB CLI / SQL:                ATTACH '{database}' AS clv (READ_ONLY); "
        "SELECT * FROM clv.clv_predictions;",
        f"  Superset (duckdb-engine) URI:    duckdb:///{database}?access_mode=read_only",
        f"  Evidence (sources/clv/connection.yaml): type: duckdb, options: filename: {database}",
        "  Which run: SELECT * FROM clv.published_run (= clv_model_runs.run_id). Reconnect to see a newer run.",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="the build's DuckDB file")
    parser.add_argument("--run-results", type=Path, default=Path("target/run_results.json"))
    parser.add_argument("--out", type=Path, default=Path("published"))
    args = parser.parse_args()
    try:
        published = publish(args.database, args.run_results, args.out)
    except NotPublished as error:
        raise SystemExit(f"nothing published ({error}); readers keep the last good run") from error
    print(f"published run {published.run_id}: " + ", ".join(f"{k} {v:,}" for k, v in published.rows.items()))


if __name__ == "__main__":
    main()

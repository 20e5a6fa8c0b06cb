"""Publish the BI-facing tables of a finished DuckDB build for readers that never touch the
build's database file.

A DuckDB file has one writer or many readers across processes, never both: a dashboard holding
`clv.duckdb` open makes the next `dbt build` fail on the lock, and a build locks every reader
out. So readers get their own files, written after a successful build:

    <out>/clv_bi.duckdb                   one run's tables (marts.*, ml.*), a view per table in
                                          main, published_run and published_runs (the history)
    <out>/runs/<run_id>/<table>.parquet   the same tables as Parquet (run_id = dbt's invocation_id)
    <out>/current -> runs/<run_id>        the latest run, for tools that read Parquet

The BI file holds its data (no paths), so the folder can be copied or mounted anywhere, and it
is written in DuckDB's v1.0.0 storage format, which DuckDB 1.x clients (most BI drivers) and
2.x both open. It is written under a temporary name and renamed over the old one (atomic on
POSIX): a reader sees the previous complete run or the new one, never a mix, and a connection
opened before the swap keeps reading its run until it reconnects.

Publish trusts nothing in target/: it reads the build log in the database itself
(macros/operations/build_log.sql), where every model's build is stamped with its dbt invocation. It ships
only one complete run: every published table stamped by one finished, successful `dbt build`,
or, after a dev build (`make dev`), the tables that build rebuilt together with the unchanged
ones of the last published run, when both builds had the same vars and nothing a kept table
reads was rebuilt without it. A run whose kept lines or customers shrink against the last
published run is refused unless allowed (a new input can be smaller; a wrong one should not
reach BI silently).
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
# What must not shrink between published runs: table -> what its rows are.
SIZE_CHECKS = {"fct_sales": "kept order lines", "dim_customers": "customers"}
BI_DATABASE = "clv_bi.duckdb"
STORAGE_VERSION = "v1.0.0"  # the oldest DuckDB that opens the file: 1.0 (BI drivers bundle 1.x)
KEEP_RUNS = 3


class NotPublished(RuntimeError):
    """The database's tables are not one complete run to publish (the message says why)."""


@dataclass(frozen=True)
class Published:
    run_id: str
    run_dir: Path
    database: Path
    rows: dict[str, int]


@dataclass(frozen=True)
class Build:
    invocation_id: str
    command: str
    started_at: datetime
    finished_at: datetime | None
    failed_nodes: str | None
    vars_json: str


def read_build_log(con) -> tuple[dict[str, tuple[str, list[str]]], dict[str, Build]]:
    """(model -> (the invocation of its latest build, its parent models)), (invocation -> Build)."""
    try:
        stamps = con.execute(
            "select model_name, arg_max(invocation_id, built_at), arg_max(parent_models, built_at)"
            " from build_log.built_models group by 1"
        ).fetchall()
        builds = con.execute("select * from build_log.builds").fetchall()
    except duckdb.CatalogException as error:
        raise NotPublished("the database has no build log: run `make build`") from error
    return ({m: (i, [p for p in parents.split(",") if p]) for m, i, parents in stamps},
            {b[0]: Build(*b) for b in builds})  # fmt: skip


def ancestors(model: str, stamps: dict[str, tuple[str, list[str]]]) -> set[str]:
    seen, todo = set(), list(stamps.get(model, ("", []))[1])
    while todo:
        parent = todo.pop()
        if parent not in seen:
            seen.add(parent)
            todo.extend(stamps.get(parent, ("", []))[1])
    return seen


def choose_run(con, last: dict | None) -> tuple[str, Build, list[str]]:
    """The run id to publish the database's tables as, its build, and the builds whose tables it
    holds; NotPublished says why not. ``last``: the last published run, or None."""
    stamps, builds = read_build_log(con)
    never = [name for name in PUBLISHED_TABLES if name not in stamps]
    if never:
        raise NotPublished(f"never built: {', '.join(never)}")
    by_build: dict[str, list[str]] = {}
    for name in PUBLISHED_TABLES:
        by_build.setdefault(stamps[name][0], []).append(name)
    for invocation, tables in by_build.items():
        build = builds.get(invocation)
        if build is None or build.finished_at is None:
            started = f" (started {build.started_at:%Y-%m-%d %H:%M:%S} UTC)" if build else ""
            raise NotPublished(
                f"build {invocation}{started} did not finish (killed?) after rebuilding {', '.join(tables)}: "
                "those tables would mix runs; run the build again"
            )
        if build.failed_nodes:
            raise NotPublished(f"the build did not succeed: {build.failed_nodes}")
        if build.command != "build":
            raise NotPublished(
                f"{', '.join(tables)} were built by `dbt {build.command}`, without their tests"
            )
    newest = max(by_build, key=lambda invocation: builds[invocation].started_at)
    older = set(by_build) - {newest}
    if older and not (last and older <= set(json.loads(last["builds_json"]))):
        raise NotPublished(
            f"the published tables come from {len(by_build)} builds, not from one build or from a dev build "
            f"on top of the last published run ({', '.join(sorted(by_build[newest]))} from the latest); "
            "run `make build` to rebuild them all"
        )
    if older and builds[newest].vars_json != last["vars_json"]:
        raise NotPublished(
            f"the dev build's vars {builds[newest].vars_json} differ from the published run's "
            f"{last['vars_json']}: `make dev` passes the published run's vars; `make build` rebuilds all"
        )
    for name in (name for invocation in older for name in by_build[invocation]):
        rebuilt = sorted(a for a in ancestors(name, stamps) if stamps[a][0] == newest)
        if rebuilt:
            raise NotPublished(
                f"{name} reads {', '.join(rebuilt)}, which the dev build rebuilt, but was not rebuilt itself: "
                f"select with a trailing + (SELECT={rebuilt[0]}+)"
            )
    return newest, builds[newest], sorted(by_build)


HISTORY_COLUMNS = ("run_id", "published_at", "source", "vars_json", "builds_json", "rows_json")


def published_history(out: Path) -> list[tuple]:
    """Every run published to ``out``, oldest first (empty when nothing is, or when the file
    was written before the history was kept)."""
    if not (out / BI_DATABASE).exists():
        return []
    with duckdb.connect(str(out / BI_DATABASE), read_only=True) as con:
        try:
            return con.execute(
                f"select {', '.join(HISTORY_COLUMNS)} from published_runs order by published_at"
            ).fetchall()
        except duckdb.CatalogException:
            return []


def last_published(out: Path, history: list[tuple] | None = None) -> dict | None:
    """The last published run as a dict of its published_runs row (rows parsed), or None;
    from ``history`` when the caller has read it already."""
    history = published_history(out) if history is None else history
    if not history:
        return None
    last = dict(zip(HISTORY_COLUMNS, history[-1], strict=True))
    return {**last, "rows": json.loads(last["rows_json"])}


def shrinkage(rows: dict[str, int], last: dict | None, tolerance: float) -> list[str]:
    """What shrank against the last published run by more than ``tolerance`` (a share)."""
    if last is None:
        return []
    return [f"{what} {last['rows'][name]:,} -> {rows[name]:,}"
            for name, what in SIZE_CHECKS.items()
            if rows[name] < last["rows"].get(name, 0) * (1 - tolerance)]  # fmt: skip


def publish(
    database: Path, out: Path, allow_shrink: bool = False, shrink_tolerance: float = 0.0
) -> Published:
    """Publish ``database``'s tables as one run (see the module); NotPublished when they are not one."""
    out = out.resolve()
    history = published_history(out)
    last = last_published(out, history)
    with duckdb.connect(str(database), read_only=True) as con:
        run_id, build, made_of = choose_run(con, last)
        rows = {name: con.execute(f"select count(*) from {table}").fetchone()[0]
                for name, table in PUBLISHED_TABLES.items()}  # fmt: skip
    shrunk = (
        [] if allow_shrink or (last and last["run_id"] == run_id) else shrinkage(rows, last, shrink_tolerance)
    )
    if shrunk:
        raise NotPublished(
            f"the run shrank against the last published one ({last['run_id']}): {'; '.join(shrunk)}. "
            "If that is meant (new input, a smaller history), publish with ALLOW_SHRINK=1 "
            "(make build/publish) or --allow-shrink"
        )
    record = {"run_id": run_id, "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "source": str(Path(database).resolve()), "vars_json": build.vars_json,
              "builds_json": json.dumps(made_of), "rows": rows}  # fmt: skip
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    staged = write_bi_database(database, record, out / f".{BI_DATABASE}.{run_id}", history)
    run_dir = runs / run_id
    if not run_dir.exists():
        export_parquet(staged, runs / f".{run_id}.partial", run_dir, record)
    os.replace(staged, out / BI_DATABASE)
    swap_link(out / "current", Path("runs") / run_id)
    prune(runs, keep=run_id)
    return Published(run_id, run_dir, out / BI_DATABASE, rows)


def write_bi_database(database: Path, record: dict, path: Path, history: list[tuple]) -> Path:
    """The BI file of one run: its tables in their build schemas, a view per table in main, which
    run it is, and the runs published before (``history``)."""
    path.unlink(missing_ok=True)
    with duckdb.connect() as con:
        con.execute(f"attach '{sql_path(database)}' as build (read_only)")
        con.execute(f"attach '{sql_path(path)}' as bi (storage_version '{STORAGE_VERSION}')")
        for schema in sorted({table.split(".")[0] for table in PUBLISHED_TABLES.values()}):
            con.execute(f"create schema bi.{schema}")
        for name, table in PUBLISHED_TABLES.items():
            con.execute(f"create table bi.{table} as select * from build.{table}")
            con.execute(f"create view bi.main.{name} as select * from {table}")
        con.execute(
            "create table bi.main.published_runs (run_id varchar, published_at timestamptz, source varchar,"
            " vars_json varchar, builds_json varchar, rows_json varchar)"
        )
        rows = [row for row in history if row[0] != record["run_id"]]
        rows.append((record["run_id"], record["published_at"], record["source"], record["vars_json"],
                     record["builds_json"], json.dumps(record["rows"])))  # fmt: skip
        con.executemany(
            "insert into bi.main.published_runs values (?, cast(? as timestamptz), ?, ?, ?, ?)", rows
        )
        con.execute("create view bi.main.published_run as select run_id, published_at, source from published_runs"
                    " order by published_at desc limit 1")  # fmt: skip
        # the run history says which builds reached BI (a failed, killed or refused one did not)
        con.execute("create or replace view bi.main.clv_model_runs as select *, run_id in"
                    " (select run_id from published_runs) as is_published from ml.clv_model_runs")  # fmt: skip
    return path


def export_parquet(bi_database: Path, staging: Path, run_dir: Path, record: dict) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    with duckdb.connect(str(bi_database), read_only=True) as con:
        for name in PUBLISHED_TABLES:
            con.execute(
                f"copy (select * from {name}) to '{sql_path(staging / f'{name}.parquet')}' (format parquet)"
            )
    (staging / "_run.json").write_text(json.dumps(record, indent=2))
    os.replace(staging, run_dir)


def sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


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
        f"Published for BI tools (safe to keep open while dbt builds; the folder can be copied): {published}",
        f"  DuckDB file (DuckDB 1.0+ and 2.x clients): {database}",
        f"  Parquet of the latest run:       {published / 'current'}/<table>.parquet",
        f"  DuckDB CLI / SQL:                ATTACH '{database}' AS clv (READ_ONLY); "
        "SELECT * FROM clv.clv_predictions;",
        f"  Superset (duckdb-engine) URI:    duckdb:///{database}?access_mode=read_only",
        f"  Evidence (sources/clv/connection.yaml): type: duckdb, options: filename: {database}",
        "  MetricFlow on the published copy: DBT_TARGET=published mf query --metrics revenue",
        "  Which run: SELECT * FROM clv.published_run (= clv_model_runs.run_id); history: clv.published_runs.",
        "  Reconnect to see a newer run.",
    ])  # fmt: skip


def publish_or_exit(database: Path, out: Path, allow_shrink: bool, shrink_tolerance: float) -> Published:
    """publish(), or exit non-zero saying why nothing was published."""
    try:
        return publish(database, out, allow_shrink, shrink_tolerance)
    except NotPublished as error:
        raise SystemExit(f"nothing published ({error}); readers keep the last published run") from error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="the build's DuckDB file")
    parser.add_argument("--out", type=Path, default=Path("published"))
    parser.add_argument(
        "--allow-shrink", action="store_true", help="publish even if lines or customers shrank"
    )
    parser.add_argument("--shrink-tolerance", type=float, default=0.0,
                        help="the share lines or customers may shrink by without --allow-shrink (default 0)")  # fmt: skip
    args = parser.parse_args()
    published = publish_or_exit(args.database, args.out, args.allow_shrink, args.shrink_tolerance)
    print(f"published run {published.run_id}: " + ", ".join(f"{k} {v:,}" for k, v in published.rows.items()))


if __name__ == "__main__":
    main()

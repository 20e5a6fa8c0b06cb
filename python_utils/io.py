"""Adapter-neutral reading and writing for dbt Python models.

dbt-duckdb hands a model DuckDB relations; dbt-snowflake hands it Snowpark DataFrames whose
column names come back upper case. Models call these functions and stay the same on both:
read_frame / to_warehouse for small tables (samples, summaries, fits), read_batches /
batches_to_warehouse for per-customer scoring in bounded batches.
Duck-typed on purpose: this library imports neither duckdb nor snowpark.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

ROWS_LOG = "CLV_PANDAS_ROWS_LOG"  # a file: every frame a model reads is logged there (make bench)


def _log_rows(rows: int) -> None:
    """Append {"model", "rows"} to the CLV_PANDAS_ROWS_LOG file when it is set: how many rows
    each dbt Python model holds in pandas at once, for the bench's table."""
    path = os.environ.get(ROWS_LOG)
    if not path:
        return
    model = next(
        (f.frame.f_globals["__name__"] for f in inspect.stack()
         if callable(f.frame.f_globals.get("model")) and "dbt" not in f.frame.f_globals["__name__"]),
        "unknown",
    )  # fmt: skip
    with open(path, "a") as log:
        log.write(json.dumps({"model": model, "rows": int(rows)}) + "\n")


def _sql_literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def filtered(relation: Any, where: dict[str, Any]) -> Any:
    """Keep rows whose column equals the value (or is in the list), inside the warehouse."""
    for column, value in where.items():
        values = list(value) if isinstance(value, list | tuple | set) else [value]
        if hasattr(relation, "to_pandas"):  # Snowpark: Column expressions (local testing has no SQL text)
            relation = relation.filter(relation.col(column).isin(values))
        else:  # DuckDB relation: SQL text
            relation = relation.filter(f"{column} in ({', '.join(map(_sql_literal, values))})")
    return relation


def on_own_cursor(relation: Any, session: Any) -> Any:
    """The relation on a DuckDB cursor of its own, for use from another thread (a DuckDB
    connection refuses a second call while one runs); a Snowpark DataFrame as it is."""
    if hasattr(relation, "to_pandas"):
        return relation
    return session.cursor().sql(relation.sql_query())


def read_frame(
    relation: Any,
    columns: Sequence[str] | None = None,
    where: dict[str, Any] | None = None,
    order_by: Sequence[str] = ("customer_id",),
) -> pd.DataFrame:
    """A pandas DataFrame of the relation, lower-case column names.

    ``where`` ({column: value or list of values}) and ``columns`` are applied in the warehouse,
    before any row reaches Python. Rows are sorted by the ``order_by`` columns present:
    warehouses return rows in no fixed order, and seeded sampling (K-Means, XGBoost) depends
    on it."""
    if where:
        relation = filtered(relation, where)
    if columns:
        relation = relation.select(*columns)
    if hasattr(relation, "to_pandas"):  # Snowpark DataFrame
        frame = relation.to_pandas()
    else:  # DuckDB relation, through Arrow (duckdb 2.0: .arrow() is a batch reader)
        frame = relation.to_arrow_table().to_pandas()
    frame.columns = [str(c).lower() for c in frame.columns]
    _log_rows(len(frame))
    keys = [c for c in order_by if c in frame.columns]
    if keys:
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return frame


def read_batches(relation: Any, session: Any, batch_size: int, where: dict[str, Any] | None = None):
    """The relation as pandas DataFrames of at most ``batch_size`` rows (lower-case column
    names), streamed: no more than one batch is held at a time. On DuckDB the query runs on a
    cursor of the session, so the model's own output can be written while batches are read."""
    if where:
        relation = filtered(relation, where)
    if hasattr(relation, "to_pandas_batches"):  # Snowpark: the connector's result batches
        batches = relation.to_pandas_batches()
    else:
        reader = on_own_cursor(relation, session).to_arrow_reader(batch_size)
        batches = (batch.to_pandas() for batch in reader)
    for frame in batches:
        for start in range(0, len(frame), batch_size):
            part = frame.iloc[start : start + batch_size].reset_index(drop=True)
            part.columns = [str(c).lower() for c in part.columns]
            _log_rows(len(part))
            yield part


def batches_to_warehouse(batches, columns: dict[str, str], session: Any, this: Any) -> Any:
    """A model's output written batch by batch, never whole in Python. ``columns``: name ->
    "string", "float64" or "int64"; ``this``: the model's relation (``dbt.this``). On DuckDB an
    Arrow stream the materialization consumes as it is produced; on Snowflake each batch is
    appended to a temporary table beside the model's (``batch_table``) whose rows the model
    returns."""
    if is_snowpark_session(session):
        name = batch_table(this)
        # the declared types, not what each batch's values suggest (small integers arrive as
        # int8 from the connector; an all-null column has none)
        numbers = {c: t for c, t in columns.items() if t != "string"}
        first = True
        for frame in batches:
            typed = frame[list(columns)].astype(numbers)
            session.create_dataframe(to_warehouse(typed, session)).write.save_as_table(
                name, mode="overwrite" if first else "append", table_type="temporary"
            )
            first = False
        if first:  # no batch at all: an empty table of the right shape
            empty = pd.DataFrame(
                {c: pd.Series(dtype="object" if t == "string" else t) for c, t in columns.items()}
            )
            session.create_dataframe(to_warehouse(empty, session)).write.save_as_table(
                name, mode="overwrite", table_type="temporary"
            )
        return session.table(name)
    import pyarrow as pa

    types = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64()}
    schema = pa.schema([(c, types[t]) for c, t in columns.items()])
    record_batches = (
        pa.RecordBatch.from_pandas(frame[list(columns)], schema=schema, preserve_index=False)
        for frame in batches
    )
    return pa.RecordBatchReader.from_batches(schema, record_batches)


def batch_table(this: Any) -> str:
    """<database>.<schema>.<model>__batches: qualified, because the procedure runs before dbt
    sets the session's schema (a fresh CI schema has no current schema to fall back on)."""
    return f"{this.database}.{this.schema}.{this.identifier}__batches"


def is_snowpark_session(session: Any) -> bool:
    """True when the model runs inside Snowflake (a Snowpark Session)."""
    return type(session).__module__.startswith("snowflake")


def to_warehouse(frame: pd.DataFrame, session: Any) -> pd.DataFrame:
    """Upper-case column names on Snowflake, so the table's columns need no quoting there."""
    if is_snowpark_session(session):
        return frame.rename(columns=str.upper)
    return frame


def config_value(value: Any) -> Any:
    """A model config value with lists and numbers that YAML rendered as text turned back.

    Models must call ``dbt.config.get("key")`` literally: dbt only hands a Python model the
    config keys it finds in such calls.
    """
    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value

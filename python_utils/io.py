"""Adapter-neutral reading and writing for dbt Python models.

dbt-duckdb hands a model DuckDB relations; dbt-snowflake hands it Snowpark DataFrames whose
column names come back upper case. Models call these two functions and stay the same on both.
Duck-typed on purpose: this library imports neither duckdb nor snowpark.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

import pandas as pd


def _sql_literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _filtered(relation: Any, where: dict[str, Any]) -> Any:
    """Keep rows whose column equals the value (or is in the list), inside the warehouse."""
    for column, value in where.items():
        values = list(value) if isinstance(value, list | tuple | set) else [value]
        if hasattr(relation, "to_pandas"):  # Snowpark: Column expressions (local testing has no SQL text)
            relation = relation.filter(relation.col(column).isin(values))
        else:  # DuckDB relation: SQL text
            relation = relation.filter(f"{column} in ({', '.join(map(_sql_literal, values))})")
    return relation


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
        relation = _filtered(relation, where)
    if columns:
        relation = relation.select(*columns)
    if hasattr(relation, "to_pandas"):  # Snowpark DataFrame
        frame = relation.to_pandas()
    else:  # DuckDB relation, through Arrow (duckdb 2.0: .arrow() is a batch reader)
        frame = relation.to_arrow_table().to_pandas()
    frame.columns = [str(c).lower() for c in frame.columns]
    keys = [c for c in order_by if c in frame.columns]
    if keys:
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return frame


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

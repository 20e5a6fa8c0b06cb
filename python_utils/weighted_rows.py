"""Weighted rows (a ``weight`` column counting the customers each row stands for) that a fit sums
over, wherever they are: in numpy arrays, or in a warehouse table too large to bring to Python.

A fit writes its per-row terms once, over ``rows.ops`` (ln, exp, greatest, where), the
columns ``rows.column(name)`` and new columns from ``rows.with_columns(name=term)``, then asks
for their weighted sums: numpy computes them on arrays; DuckDB and Snowflake compute them in one
aggregate query each time, so Python only ever holds the sums. Warehouse sums go through
decimal(38, 18), exact in any order: parallel double sums change in the last bits from run to
run, and so would the fitted parameters (model_version hashes them).
Duck-typed like io.py: duckdb or snowpark is imported only where its rows are used.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from python_utils.io import filtered, on_own_cursor, read_frame

NUMPY_OPS = SimpleNamespace(ln=np.log, exp=np.exp, greatest=np.maximum, where=np.where)


class ArrayRows:
    """Weighted rows held in numpy arrays (``weights`` None: one customer each)."""

    ops = NUMPY_OPS

    def __init__(self, columns: dict[str, Any], weights=None):
        self.columns = {name: np.asarray(values, float) for name, values in columns.items()}
        size = len(next(iter(self.columns.values())))
        self.weights = np.ones(size) if weights is None else np.asarray(weights, float)

    def count(self) -> int:
        return len(self.weights)

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]

    def with_columns(self, **columns) -> ArrayRows:
        return ArrayRows(self.columns | columns, self.weights)

    def weighted_sums(self, terms: list) -> np.ndarray:
        """With numpy's own summation, not BLAS: BLAS may split a long dot product over threads
        or by memory alignment, so the same rows could give sums differing in the last bits
        from one process to the next."""
        return np.array([float(np.sum(np.broadcast_to(t, self.weights.shape) * self.weights)) for t in terms])

    def maximum(self, name: str) -> float:
        return float(self.columns[name].max())

    def by_frequency(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct frequencies and the weight of each."""
        levels, index = np.unique(self.columns["frequency"], return_inverse=True)
        return levels, np.bincount(index, weights=self.weights, minlength=len(levels))


class DuckDBRows:
    """Rows of a DuckDB relation, summed by DuckDB."""

    def __init__(self, relation: Any):
        import duckdb

        self.relation, self._duckdb = relation, duckdb
        function, lit = duckdb.FunctionExpression, self._literal
        self.ops = SimpleNamespace(
            ln=lambda e: function("ln", lit(e)),
            exp=lambda e: function("exp", lit(e)),
            greatest=lambda a, b: function("greatest", lit(a), lit(b)),
            where=lambda c, a, b: duckdb.CaseExpression(c, lit(a)).otherwise(lit(b)),
        )

    def _literal(self, value):
        duckdb = self._duckdb
        return value if isinstance(value, duckdb.Expression) else duckdb.ConstantExpression(float(value))

    def _aggregate(self, *expressions) -> tuple:
        return self.relation.aggregate(list(expressions)).fetchall()[0]

    def count(self) -> int:
        return int(
            self._aggregate(self._duckdb.FunctionExpression("count", self._duckdb.StarExpression()))[0]
        )

    def column(self, name: str) -> Any:
        return self._duckdb.ColumnExpression(name)

    def with_columns(self, **columns) -> DuckDBRows:
        star = self._duckdb.StarExpression()
        return DuckDBRows(self.relation.project(star, *(e.alias(n) for n, e in columns.items())))

    def weighted_sums(self, terms: list) -> np.ndarray:
        duckdb, weight = self._duckdb, self.column("weight")
        exact = [duckdb.FunctionExpression("sum", (weight * self._literal(t)).cast(duckdb.decimal_type(38, 18)))
                 for t in terms]  # fmt: skip
        return np.array([float(v) for v in self._aggregate(*exact)])

    def maximum(self, name: str) -> float:
        return float(self._aggregate(self._duckdb.FunctionExpression("max", self.column(name)))[0])

    def by_frequency(self) -> tuple[np.ndarray, np.ndarray]:
        arrays = (
            self.relation.aggregate("frequency, sum(weight) as weight", "frequency")
            .order("frequency")
            .fetchnumpy()
        )
        return np.asarray(arrays["frequency"], float), np.asarray(arrays["weight"], float)


class SnowparkRows:
    """Rows of a Snowpark DataFrame, summed by Snowflake."""

    def __init__(self, relation: Any):
        from snowflake.snowpark import Column, functions, types

        self.relation, self._column_type, self._functions, self._types = relation, Column, functions, types
        lit = self._literal
        self.ops = SimpleNamespace(
            ln=lambda e: functions.ln(lit(e)),
            exp=lambda e: functions.exp(lit(e)),
            greatest=lambda a, b: functions.greatest(lit(a), lit(b)),
            where=lambda c, a, b: functions.when(c, lit(a)).otherwise(lit(b)),
        )

    def _literal(self, value):
        return value if isinstance(value, self._column_type) else self._functions.lit(float(value))

    def _aggregate(self, *expressions) -> tuple:
        return tuple(self.relation.agg(*expressions).collect()[0])

    def count(self) -> int:
        return int(self._aggregate(self._functions.count(self._functions.lit(1)))[0])

    def column(self, name: str) -> Any:
        return self._functions.col(name)

    def with_columns(self, **columns) -> SnowparkRows:
        return SnowparkRows(self.relation.with_columns(list(columns), list(columns.values())))

    def weighted_sums(self, terms: list) -> np.ndarray:
        weight, decimal = self.column("weight"), self._types.DecimalType(38, 18)
        exact = [self._functions.sum((weight * self._literal(t)).cast(decimal)) for t in terms]
        return np.array([float(v) for v in self._aggregate(*exact)])

    def maximum(self, name: str) -> float:
        return float(self._aggregate(self._functions.max(self.column(name)))[0])

    def by_frequency(self) -> tuple[np.ndarray, np.ndarray]:
        f = self._functions
        rows = (
            self.relation.group_by("frequency")
            .agg(f.sum("weight").alias("weight"))
            .sort("frequency")
            .collect()
        )
        return np.array([float(r[0]) for r in rows]), np.array([float(r[1]) for r in rows])


def warehouse_rows(relation: Any) -> DuckDBRows | SnowparkRows:
    """The relation's weighted rows, summed where they are."""
    if hasattr(relation, "to_pandas"):  # Snowpark DataFrame
        return SnowparkRows(relation)
    return DuckDBRows(relation)


def bounded(relation: Any, session: Any, where: dict[str, Any], columns: list[str], max_rows: int):
    """The ``where`` rows of a warehouse relation of weighted rows: read into numpy when there
    are at most ``max_rows`` (sorted, so their sums never depend on the warehouse's row order),
    else left in the warehouse and summed there."""
    # fits run in threads, and one DuckDB connection runs one call at a time
    relation = on_own_cursor(relation, session)
    rows = warehouse_rows(filtered(relation, where))
    if rows.count() > max_rows:
        return rows
    frame = read_frame(relation, columns=[*columns, "weight"], where=where, order_by=columns)
    return ArrayRows({c: frame[c] for c in columns}, frame["weight"])

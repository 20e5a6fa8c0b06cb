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


class _WarehouseRows:
    """Rows of a warehouse relation, summed there. Engines differ only in how they build a
    function call, a constant, a case and a decimal cast (the subclasses' hooks)."""

    def __init__(self, relation: Any):
        self.relation = relation
        self._count: int | None = None
        call, lit = self._function, self._literal
        self.ops = SimpleNamespace(
            ln=lambda e: call("ln", lit(e)),
            exp=lambda e: call("exp", lit(e)),
            greatest=lambda a, b: call("greatest", lit(a), lit(b)),
            where=lambda c, a, b: self._case(c, lit(a), lit(b)),
        )

    def _literal(self, value):
        return value if self._is_expression(value) else self._constant(float(value))

    def count(self) -> int:
        """Rows (not customers); one query, remembered: the route, the checks and the fit's
        record all ask."""
        if self._count is None:
            self._count = int(self._aggregate(self._function("count", self.column("weight")))[0])
        return self._count

    def weighted_sums(self, terms: list) -> np.ndarray:
        weight = self.column("weight")
        exact = [self._function("sum", self._decimal(weight * self._literal(t))) for t in terms]
        return np.array([float(v) for v in self._aggregate(*exact)])

    def maximum(self, name: str) -> float:
        return float(self._aggregate(self._function("max", self.column(name)))[0])


class DuckDBRows(_WarehouseRows):
    """Rows of a DuckDB relation, as relational expressions."""

    def __init__(self, relation: Any):
        import duckdb

        self._duckdb = duckdb
        super().__init__(relation)

    def _function(self, name, *args):
        return self._duckdb.FunctionExpression(name, *args)

    def _is_expression(self, value) -> bool:
        return isinstance(value, self._duckdb.Expression)

    def _constant(self, value):
        return self._duckdb.ConstantExpression(value)

    def _case(self, condition, then, otherwise):
        return self._duckdb.CaseExpression(condition, then).otherwise(otherwise)

    def _decimal(self, expression):
        return expression.cast(self._duckdb.decimal_type(38, 18))

    def _aggregate(self, *expressions) -> tuple:
        return self.relation.aggregate(list(expressions)).fetchall()[0]

    def column(self, name: str) -> Any:
        return self._duckdb.ColumnExpression(name)

    def with_columns(self, **columns) -> DuckDBRows:
        star = self._duckdb.StarExpression()
        return DuckDBRows(self.relation.project(star, *(e.alias(n) for n, e in columns.items())))

    def by_frequency(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct frequencies and the weight of each."""
        arrays = (
            self.relation.aggregate("frequency, sum(weight) as weight", "frequency")
            .order("frequency")
            .fetchnumpy()
        )
        return np.asarray(arrays["frequency"], float), np.asarray(arrays["weight"], float)


class SnowparkRows(_WarehouseRows):
    """Rows of a Snowpark DataFrame, as Column expressions (local testing runs no SQL text)."""

    def __init__(self, relation: Any):
        from snowflake.snowpark import Column, functions, types

        self._column_type, self._functions, self._types = Column, functions, types
        super().__init__(relation)

    def _function(self, name, *args):
        return self._functions.call_function(name, *args)

    def _is_expression(self, value) -> bool:
        return isinstance(value, self._column_type)

    def _constant(self, value):
        return self._functions.lit(value)

    def _case(self, condition, then, otherwise):
        return self._functions.when(condition, then).otherwise(otherwise)

    def _decimal(self, expression):
        return expression.cast(self._types.DecimalType(38, 18))

    def _aggregate(self, *expressions) -> tuple:
        return tuple(self.relation.agg(*expressions).collect()[0])

    def column(self, name: str) -> Any:
        return self._functions.col(name)

    def with_columns(self, **columns) -> SnowparkRows:
        return SnowparkRows(self.relation.with_columns(list(columns), list(columns.values())))

    def by_frequency(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct frequencies and the weight of each."""
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

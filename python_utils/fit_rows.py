"""The row a fitted model is stored as in clv_model_fits, shared by every fit class
(``to_row`` / ``from_row``), so the table's layout is written once."""

from __future__ import annotations

import json
from typing import Any

COLUMNS = (
    "model_name",
    "parameters_json",
    "rows_used",
    "distinct_rows",
    "fit_seconds",
    "converged",
    "penalizer",
    "note",
)


def model_row(
    name: str,
    parameters: dict[str, Any],
    rows: int,
    seconds: float,
    converged: bool = True,
    penalizer: float = 0.0,
    note: str = "",
    distinct_rows: int | None = None,
) -> dict[str, Any]:
    """One clv_model_fits row: parameters as JSON, customers used, seconds, convergence."""
    return {
        "model_name": name,
        "parameters_json": json.dumps(parameters),
        "rows_used": int(rows),
        "distinct_rows": int(rows if distinct_rows is None else distinct_rows),
        "fit_seconds": float(seconds),
        "converged": bool(converged),
        "penalizer": float(penalizer),
        "note": note,
    }


def parameters(row) -> dict[str, Any]:
    """The parameters stored in a clv_model_fits row."""
    return json.loads(row["parameters_json"])

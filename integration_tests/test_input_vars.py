"""Vars are data: no var value is ever rendered as Jinja or reaches SQL unchecked, through
dbt run-operation check_inputs, on-run-start, the models' own rendering and compile."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from integration_tests.conftest import invoke_dbt, query
from integration_tests.test_input_identity import line, write_csv


def jinja_canary(canary: Path) -> str:
    return "{{ run_query(\"copy (select 42 as x) to '" + str(canary) + "'\") }}"


STRING_VARS = ["orders_path", "as_of_date", "min_order_date", "source_timezone", "orders_encoding",
               "default_currency", "raw_schema", "raw_orders_table", "raw_loaded_at_column",
               "clv_gate_severity"]  # fmt: skip


@pytest.fixture
def victim_db(tmp_path) -> Path:
    db = tmp_path / "clv.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table victim as select 1 as x")
    return db


@pytest.mark.parametrize("name", [*STRING_VARS, "segmentation_features"])
def test_no_var_value_is_ever_rendered_as_a_template(tmp_path, victim_db, name):
    """Each string var (and a list var's item) holding Jinja that would write a file stops
    dbt run-operation check_inputs with one message; the canary file is never written and the
    database is untouched."""
    canary = tmp_path / "canary.csv"
    orders = write_csv(tmp_path / "orders.csv", [line("o1")])
    value = jinja_canary(canary)
    variables = {
        "orders_path": str(orders),
        name: [value] if name == "segmentation_features" else value,
    }
    done = invoke_dbt("run-operation check_inputs", tmp_path, victim_db, variables)
    assert done.returncode != 0
    assert f"var '{name}' holds a template marker" in done.stdout
    assert not canary.exists()
    assert query(victim_db, "select count(*) from victim") == [(1,)]


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("build", "as_of_date"),
        ("docs generate", "source_timezone"),
        ("compile --select stg_shop__order_lines", "orders_path"),
    ],
)
def test_a_template_in_a_var_runs_nothing_in_hooks_models_or_docs(tmp_path, victim_db, command, name):
    """The same canary through on-run-start (build), the models' own rendering (docs generate
    compiles every model, without the hook) and compile: the var is refused before anything
    renders it."""
    canary = tmp_path / "canary.csv"
    orders = write_csv(tmp_path / "orders.csv", [line("o1")])
    value = f"{orders}{jinja_canary(canary)}" if name == "orders_path" else jinja_canary(canary)
    done = invoke_dbt(command, tmp_path, victim_db, {"orders_path": str(orders), name: value})
    assert done.returncode != 0, done.stdout[-2000:]
    assert f"var '{name}' holds a template marker" in done.stdout
    assert not canary.exists()
    assert query(victim_db, "select count(*) from victim") == [(1,)]


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (
            "transactions_path",
            "var 'transactions_path' is not a var of this project: it is now 'orders_path'",
        ),
        ("horizon_day", "var 'horizon_day' is not a var of this project (docs/data.md lists them)"),
    ],
)
def test_a_var_the_project_does_not_read_stops_the_build(tmp_path, victim_db, given, said):
    """An old name or a typo would otherwise be ignored without a word (the build reading the
    default file, or the default horizon)."""
    orders = write_csv(tmp_path / "orders.csv", [line("o1")])
    done = invoke_dbt(
        "run-operation check_inputs", tmp_path, victim_db, {"orders_path": str(orders), given: "x"}
    )
    assert done.returncode != 0
    assert said in done.stdout

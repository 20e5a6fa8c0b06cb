"""Incremental validation (var raw_loaded_at_column): a run validates again only the orders
touched by rows loaded since the last one, and the result equals a full build's, row for row,
with raw = kept + quarantined exact. Changed rules or raw rows that are no longer there make
it validate everything again, saying why."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from integration_tests.conftest import query, run_dbt
from python_utils.tools.synth import OUTPUT_COLUMNS, ShopConfig, generate_shop

FIRST_LOAD, SECOND_LOAD = "2025-01-01 02:00:00", "2025-06-01 02:00:00"
TABLES = ("int_order_lines_flagged", "int_order_lines_validated", "int_order_lines_rejected")


@pytest.fixture(scope="module")
def loads(tmp_path_factory) -> dict:
    """The small shop's raw rows in two loads: the first holds what was ordered before 2025
    (and the unparsable dates), the second the rest plus what real loads bring late: an order
    of the first load again (a cheaper copy of one of its lines and a line without a number),
    and a row without an order id."""
    workdir = tmp_path_factory.mktemp("incremental_validation")
    lines, _ = generate_shop(ShopConfig(customers=300, seed=5))
    lines = lines[list(OUTPUT_COLUMNS)]
    ordered_at = pd.to_datetime(lines["ordered_at"], errors="coerce", format="mixed")
    first = lines[(ordered_at < "2025-01-01") | ordered_at.isna()].assign(_loaded_at=FIRST_LOAD)
    old = first[first["order_id"].str.startswith("O", na=False) & first["line_number"].notna()].iloc[0]
    late = {**old, "line_number": None, "product_id": "P-late"}
    cheaper_copy = {**old, "amount": "0.50", "discount_amount": "0"}
    without_order = {**old, "order_id": None}
    second = pd.concat(
        [lines[ordered_at >= "2025-01-01"], pd.DataFrame([late, cheaper_copy, without_order])]
    ).assign(_loaded_at=SECOND_LOAD)
    raw = workdir / "raw"
    raw.mkdir()
    return {
        "workdir": workdir,
        "raw": raw,
        "first": first,
        "second": second,
        "old_order": old["order_id"],
        "old_line": old,
    }


def build(workdir, db, raw, **extra_vars) -> str:
    variables = {
        "orders_path": str(raw / "orders-*.csv"),
        "raw_loaded_at_column": "_loaded_at",
        **extra_vars,
    }
    # the validation layer and the raw-rows reconciliation (selectors.yml)
    return run_dbt("build", workdir, db, variables, "--selector", "validation_layer")


def validation_log(output: str) -> str:
    return next(line for line in output.splitlines() if "int_order_lines_flagged:" in line)


def rows_apart(db, reference) -> int:
    """Rows of the three validation tables that one build has and the other has not (aside
    from when and under which rules fingerprint they were validated)."""
    apart = 0
    for table in TABLES:
        columns = [
            name
            for (name,) in query(
                db,
                "select column_name from information_schema.columns"
                " where table_name = ? and column_name not in ('validated_at', 'validation_rules')",
                [table],
            )
        ]
        listed = ", ".join(columns)
        mine, theirs = f"intermediate.{table}", f"reference.intermediate.{table}"
        apart += query(
            db,
            f"attach '{reference}' as reference (read_only); "
            f"select (select count(*) from (select {listed} from {mine} except all select {listed} from {theirs}))"
            f" + (select count(*) from (select {listed} from {theirs} except all select {listed} from {mine}))",
        )[0][0]
    return apart


def test_incremental_validation(loads):
    """One shop through four runs: first load; second load (incremental, checked against a
    full validation of the same raw rows); changed rules; a first load that lost rows."""
    workdir, raw = loads["workdir"], loads["raw"]
    db, incremental = workdir / "clv.duckdb", workdir / "incremental.duckdb"
    loads["first"].to_csv(raw / "orders-1.csv", index=False)
    assert "int_order_lines_flagged:" not in build(workdir, db, raw)  # a first build: full
    loads["second"].to_csv(raw / "orders-2.csv", index=False)
    output = build(workdir, db, raw)
    shutil.copy(db, incremental)

    # What the run had to look at: every row of an order with a newly loaded row, every row of
    # an order holding a line dated after the first run (quarantined then as future_ordered_at),
    # and the new rows without an order id.
    every = pd.concat([loads["first"], loads["second"]])
    ordered_at = pd.to_datetime(every["ordered_at"], errors="coerce", format="mixed")
    touched = set(loads["second"]["order_id"].dropna()) | set(
        every.loc[ordered_at > pd.Timestamp.now(), "order_id"]
    )
    expected = int(every["order_id"].isin(touched).sum() + loads["second"]["order_id"].isna().sum())
    assert validation_log(output).endswith(
        f"incremental validation: {expected} raw rows of the orders touched since {FIRST_LOAD} validated again"
    )
    assert expected < len(every)
    assert loads["old_order"] in touched

    # The same raw rows validated in full (a rules change that moves no line: 1e6 -> 999,999
    # US dollars) give the same rows as the incremental run.
    output = build(workdir, db, raw, max_line_amount=999_999)
    assert "full validation: the validation rules changed" in validation_log(output)
    assert rows_apart(incremental, db) == 0
    kept, quarantined = (
        query(db, f"select count(*) from intermediate.{table}")[0][0] for table in TABLES[1:]
    )
    assert kept + quarantined == len(every)
    # The old order came again in the second load, so that load's lines are the order now (the
    # latest load wins) and the first load's are superseded_export; the late line is numbered
    # after the cheaper copy's number.
    old = loads["old_line"]
    rows = query(
        db,
        "select loaded_at, product_id, is_line_number_derived, line_number, reject_reason, amount"
        " from intermediate.int_order_lines_flagged where order_id = ? and customer_id = ?",
        [old["order_id"], old["customer_id"]],
    )
    first_load = [row for row in rows if str(row[0]) == FIRST_LOAD]
    assert first_load and {row[4] for row in first_load} == {"superseded_export"}
    number = int(old["line_number"])
    assert sorted(row[1:] for row in rows if str(row[0]) == SECOND_LOAD) == sorted(
        [
            (old["product_id"], False, number, None, 0.5),
            ("P-late", True, number + 1, None, float(old["amount"])),
        ]
    )

    # The first load's file is replaced by a shorter one: rows the table holds are gone.
    loads["first"].iloc[10:].to_csv(raw / "orders-1.csv", index=False)
    output = build(workdir, db, raw, max_line_amount=999_999)
    total = len(every) - 10
    assert validation_log(output).endswith(
        f"full validation: {total} raw rows loaded up to {SECOND_LOAD} or without a load time, against "
        f"{len(every)} validated: raw rows were deleted, replaced or lack a load time"
    )
    assert query(db, "select count(*) from intermediate.int_order_lines_flagged")[0][0] == total

"""Trust at the input edge: no var value runs code, no order is mistaken for another, the
latest export of an order wins, no time is shifted, every customer with an order is a customer,
and a build that keeps nothing says what to fix. Real dbt builds on small crafted files."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from integration_tests.conftest import NO_TESTS, REPO, SQL_LAYER, invoke_dbt, query, run_dbt

COLUMNS = ["order_id", "line_number", "customer_id", "ordered_at", "amount", "status", "product_id"]


def line(order_id, customer="c_any", ordered_at="2024-03-01 12:00:00", amount="10", number="1", **other):
    return {"order_id": order_id, "line_number": number, "customer_id": customer, "ordered_at": ordered_at,
            "amount": amount, "status": "completed", "product_id": "p1", **other}  # fmt: skip


def write_csv(path: Path, rows: list[dict], columns=COLUMNS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- Identity, latest export, refunds, time, customers without a purchase --------------------

# Two daily exports of one shop (file names sort by date), with source_timezone Europe/Berlin.
EARLIER = [
    # Re-exported a week later as refunded, with a credit note for it.
    line("E1", customer="c_refund", ordered_at="2024-05-20 10:00:00", amount="100"),
    # Re-exported unchanged: the older copy is superseded, not a duplicate.
    line("E2", customer="c_same", ordered_at="2024-05-21 10:00:00", amount="30"),
]
LATER = [
    line("E1", customer="c_refund", ordered_at="2024-05-20 10:00:00", amount="100", status="refunded"),
    line("E1-R", customer="c_refund", ordered_at="2024-06-02 09:00:00", amount="-100"),
    line("E2", customer="c_same", ordered_at="2024-05-21 10:00:00", amount="30"),
    # Order ids shared by two customers (a second shop's numbers restart): two orders.
    line("1001", customer="c_shop_a", ordered_at="2024-03-01 10:00:00", amount="40"),
    line("1001", customer="c_shop_b", ordered_at="2024-03-05 10:00:00", amount="-15"),
    line("1002", customer="c_shop_a", ordered_at="2024-04-01 10:00:00", amount="25"),
    # Placeholder and invisible ids.
    line("NULL", customer="c_x"),
    line("n1", customer="None"),
    line("n2", customer="n/a"),
    line("n3", customer="-"),
    line("n4", customer="\u200b"),
    line("z1", customer="c_zw\u200b", amount="5"),
    line("z2", customer="c_zw", amount="7", ordered_at="2024-03-02 12:00:00"),
    # Customers without a purchase: a zero-value order, a fully refunded order.
    line("free1", customer="c_free", amount="0"),
    line("ref1", customer="c_refunded_only", amount="20", status="refunded"),
    # 12-hour clocks and zones (Berlin is UTC+2 in May).
    line("t_pm", ordered_at="2024-05-01 10:00:00 PM"),
    line("t_am", ordered_at="2024-05-01 12:30 am"),
    line("t_utc", ordered_at="2024-05-01 23:30:00 UTC"),
    line("t_ny", ordered_at="2024-05-01 23:30:00 America/New_York"),
    line("t_cest", ordered_at="2024-05-01 23:30:00 CEST"),
    line("t_pdt_pm", ordered_at="2024-05-01 10:00:00 p.m. PDT"),
    # Never dropped: ambiguous or unknown zones, an impossible 12-hour time, a bare offset.
    line("u_cst", ordered_at="2024-05-01 23:30:00 CST"),
    line("u_13pm", ordered_at="2024-05-01 13:00 PM"),
    line("u_xyz", ordered_at="2024-05-01 10:00:00 XYZ"),
    line("u_plus5", ordered_at="2024-05-01 10:00:00 +5"),
]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("exports")
    write_csv(workdir / "shop" / "orders_2024-06-01.csv", EARLIER)
    write_csv(workdir / "shop" / "orders_2024-06-08.csv", LATER)
    db = workdir / "clv.duckdb"
    variables = {"orders_path": str(workdir / "shop" / "orders_*.csv"), "as_of_date": "2024-06-30",
                 "source_timezone": "Europe/Berlin"}  # fmt: skip
    output = run_dbt("build", workdir, db, variables, *SQL_LAYER)
    return {"db": db, "output": output}


def reasons(db: Path) -> dict:
    rows = query(db, "select order_id, customer_id, reject_reason from intermediate.int_order_lines_rejected")
    return {(order_id, customer): reason for order_id, customer, reason in rows}


def test_the_latest_export_of_an_order_wins_and_a_refund_counts_once(exports):
    db = exports["db"]
    found = reasons(db)
    assert found[("E1", "c_refund")] == "superseded_export"
    assert found[("E2", "c_same")] == "superseded_export"
    sales = query(
        db,
        "select order_id, status, net_amount, is_repeated_refund from marts.fct_sales "
        "where customer_id = 'c_refund' order by 1",
    )
    assert sales == [("E1", "refunded", 0, False), ("E1-R", "completed", 0, True)]
    assert query(db, "select count(*), sum(net_amount) from marts.fct_sales where order_id = 'E2'") == [
        (1, 30)
    ]
    ((revenue, has_purchase),) = query(
        db, "select total_net_revenue, has_purchase from marts.dim_customers where customer_id = 'c_refund'"
    )
    assert (revenue, has_purchase) == (0, False)


def test_an_order_id_shared_by_two_customers_is_two_orders(exports):
    db = exports["db"]
    rows = query(
        db,
        "select customer_id, line_number, net_amount, is_purchase from marts.fct_sales "
        "where order_id = '1001' order by 1",
    )
    assert rows == [("c_shop_a", 1, 40, True), ("c_shop_b", 1, -15, False)]
    assert query(db, "select count(distinct order_line_id) from marts.fct_sales where order_id = '1001'") == [
        (2,)
    ]
    ((orders, revenue, frequency),) = query(
        db,
        "select rfm.order_count, rfm.total_net_revenue, rfm.frequency from marts.customer_rfm as rfm "
        "where customer_id = 'c_shop_a'",
    )
    assert (orders, revenue, frequency) == (2, 65, 1)
    assert query(
        db, "select total_net_revenue, has_purchase from marts.dim_customers where customer_id = 'c_shop_b'"
    ) == [(-15, False)]


def test_placeholder_and_invisible_ids_are_missing_ids(exports):
    found = reasons(exports["db"])
    assert found[(None, "c_x")] == "missing_order_id"
    for order_id in ("n1", "n2", "n3", "n4"):
        assert found[(order_id, None)] == "missing_customer_id"
    assert query(
        exports["db"],
        "select order_count, total_net_revenue from marts.dim_customers where customer_id = 'c_zw'",
    ) == [(2, 12)]


@pytest.mark.parametrize(
    ("order_id", "utc"),
    [
        ("t_pm", "2024-05-01 20:00:00"),
        ("t_am", "2024-04-30 22:30:00"),
        ("t_utc", "2024-05-01 23:30:00"),
        ("t_ny", "2024-05-02 03:30:00"),
        ("t_cest", "2024-05-01 21:30:00"),
        ("t_pdt_pm", "2024-05-02 05:00:00"),
    ],
)
def test_twelve_hour_clocks_and_zone_names_give_the_right_instant(exports, order_id, utc):
    assert query(exports["db"], "select ordered_at from marts.fct_sales where order_id = ?", [order_id]) == [
        (datetime.fromisoformat(utc),)
    ]


def test_a_timestamp_part_that_is_not_understood_is_quarantined_never_dropped(exports):
    found = reasons(exports["db"])
    for order_id in ("u_cst", "u_13pm", "u_xyz", "u_plus5"):
        assert found[(order_id, "c_any")] == "unparsable_ordered_at", order_id


def test_customers_without_a_purchase_are_customers_everywhere_in_the_sql_marts(exports):
    db = exports["db"]
    rows = query(
        db,
        "select dim.customer_id, dim.has_purchase, rfm.frequency, rfm.r_score, rfm.f_score, rfm.m_score, "
        "rfm.rfm_segment from marts.dim_customers as dim inner join marts.customer_rfm as rfm "
        "on dim.customer_id = rfm.customer_id where not dim.has_purchase order by 1",
    )
    assert rows == [
        ("c_free", False, 0, 0, 0, 0, "No purchase"),
        ("c_refund", False, 0, 0, 0, 0, "No purchase"),
        ("c_refunded_only", False, 0, 0, 0, 0, "No purchase"),
        ("c_shop_b", False, 0, 0, 0, 0, "No purchase"),
    ]
    assert query(db, "select count(*) from marts.dim_customers") == query(
        db, "select count(*) from marts.customer_rfm"
    )


def test_the_exports_reconcile_and_the_summary_names_the_new_reasons(exports):
    ((kept, quarantined),) = query(
        exports["db"],
        "select (select count(*) from marts.fct_sales), (select count(*) from intermediate.int_order_lines_rejected)",
    )
    assert kept + quarantined == len(EARLIER) + len(LATER)
    assert "superseded_export 2" in exports["output"]


def test_the_latest_load_wins_over_file_names_without_line_numbers(tmp_path):
    """With raw_loaded_at_column the load time decides (here the file named first was loaded
    last); without line numbers an order's older copy is superseded, not a second line."""
    columns = ["order_id", "customer_id", "ordered_at", "amount", "status", "_loaded_at"]
    old = dict(order_id="L1", customer_id="c_load", ordered_at="2024-05-01 10:00:00", amount="767.80")
    write_csv(
        tmp_path / "shop" / "a.csv",
        [{**old, "status": "refunded", "_loaded_at": "2024-06-09 00:00:00"}],
        columns,
    )
    write_csv(
        tmp_path / "shop" / "b.csv",
        [{**old, "status": "completed", "_loaded_at": "2024-06-02 00:00:00"}],
        columns,
    )
    db = tmp_path / "clv.duckdb"
    variables = {"orders_path": str(tmp_path / "shop" / "*.csv"), "raw_loaded_at_column": "_loaded_at",
                 "as_of_date": "2024-06-30"}  # fmt: skip
    run_dbt("build", tmp_path, db, variables, *SQL_LAYER)
    assert query(db, "select status, net_amount from marts.fct_sales where order_id = 'L1'") == [
        ("refunded", 0)
    ]
    assert query(
        db, "select reject_reason, source_file like '%b.csv' from intermediate.int_order_lines_rejected"
    ) == [("superseded_export", True)]


def test_whole_number_float_ids_are_the_same_customer_where_every_id_is_a_number(tmp_path):
    """A pandas float column writes 42.0 where another file has 42: one customer. Where any
    id of the column is text, ids stay exactly as written."""
    numeric = tmp_path / "numeric"
    write_csv(numeric / "orders_1.csv", [line("1", customer="42.0", amount="10"), line("2", customer="7.0")])
    write_csv(
        numeric / "orders_2.csv", [line("3", customer="42", amount="5", ordered_at="2024-03-09 12:00:00")]
    )
    db = tmp_path / "numeric.duckdb"
    run_dbt("build", tmp_path, db, {"orders_path": str(numeric / "*.csv")}, *SQL_LAYER)
    assert query(db, "select customer_id, order_count from marts.dim_customers order by 1") == [
        ("42", 2),
        ("7", 1),
    ]

    text = tmp_path / "text"
    write_csv(
        text / "orders.csv", [line("1", customer="42.0"), line("2", customer="42"), line("3", customer="C-1")]
    )
    db = tmp_path / "text.duckdb"
    run_dbt("build", tmp_path, db, {"orders_path": str(text / "orders.csv")}, *SQL_LAYER)
    assert query(db, "select customer_id from marts.dim_customers order by 1") == [
        ("42",),
        ("42.0",),
        ("C-1",),
    ]


def test_a_parquet_glob_reads_each_files_timestamps_by_its_own_type(tmp_path):
    """A zone-aware file and a naive one in one glob: the aware values are instants, the naive
    ones local time in source_timezone (America/New_York, EDT = UTC-4)."""
    folder = tmp_path / "shop"
    folder.mkdir()
    at = datetime(2024, 5, 1, 20, 30)
    for name, values in (
        ("aware", pa.array([at.replace(tzinfo=UTC)], pa.timestamp("us", tz="UTC"))),
        ("naive", pa.array([at], pa.timestamp("us"))),
    ):
        table = pa.table({"order_id": [name], "customer_id": ["c1"], "amount": ["10"], "ordered_at": values})
        pq.write_table(table, folder / f"{name}.parquet")
    db = tmp_path / "clv.duckdb"
    variables = {"orders_path": str(folder / "*.parquet"), "source_timezone": "America/New_York"}
    run_dbt("build", tmp_path, db, variables, *SQL_LAYER)
    assert dict(query(db, "select order_id, ordered_at from marts.fct_sales")) == {
        "aware": datetime(2024, 5, 1, 20, 30),
        "naive": datetime(2024, 5, 2, 0, 30),
    }


def test_every_documented_zone_abbreviation_reads_as_its_offset(tmp_path):
    """docs/data.md's abbreviation table is what the build does: noon local time in each
    abbreviation lands at noon minus the offset."""
    table = (REPO / "docs" / "data.md").read_text().split("### Zone abbreviations")[1]
    offsets = dict(re.findall(r"^\| `(\w+)` \| ([+-]\d\d:\d\d) \|", table, flags=re.M))
    assert {"UTC", "CET", "CEST", "EST", "EDT", "PST", "PDT"} <= set(offsets)
    rows = [line(name, ordered_at=f"2024-01-15 12:00:00 {name}") for name in offsets]
    data = write_csv(tmp_path / "orders.csv", rows)
    db = tmp_path / "clv.duckdb"
    run_dbt(
        "build",
        tmp_path,
        db,
        {"orders_path": str(data)},
        "--select",
        "+int_order_lines_flagged",
        *NO_TESTS,
    )
    found = dict(query(db, "select order_id, ordered_at from intermediate.int_order_lines_flagged"))
    for name, offset in offsets.items():
        sign = 1 if offset[0] == "+" else -1
        minutes = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
        expected = datetime(2024, 1, 15, 12) - timedelta(minutes=minutes)
        assert found[name] == expected, name


# --- Failures that say what to fix ---------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "delimiter", "expected"),
    [
        ([line(f"o{i}", amount="$12.50") for i in range(3)], ",", ["invalid_amount 3", "drop the currency symbol"]),
        ([line(f"o{i}", ordered_at="05/01/2024") for i in range(3)], ",", ["unparsable_ordered_at 3", "export dates as YYYY-MM-DD"]),
        ([line(f"o{i}", amount="12,50") for i in range(3)], ";", ["invalid_amount 3", "decimal comma"]),
    ],
)  # fmt: skip
def test_a_build_that_keeps_nothing_says_what_to_fix(tmp_path, rows, delimiter, expected):
    path = tmp_path / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    done = invoke_dbt("build", tmp_path, tmp_path / "clv.duckdb", {"orders_path": str(path)})
    assert done.returncode != 0
    assert "All 3 raw rows (100%) were quarantined" in done.stdout
    for text in expected:
        assert text in done.stdout
    assert "Quarantine: 3 of 3 raw rows (100.00%)" in done.stdout
    assert "Completed with 1 error" in done.stdout  # that message, and no failing test after it


def test_a_line_with_a_field_too_many_or_too_few_is_quarantined_and_the_rest_kept(tmp_path):
    path = tmp_path / "orders.csv"
    good = [f"g{i},1,c{i},2024-03-01 12:00:00,10,completed,p1" for i in range(30)]
    lines = [",".join(COLUMNS), *good[:10], "r1,1,c1,2024-03-01 12:00:00,1,234.50,completed,p1", *good[10:20],
             "r2,1,c2,2024-03-01 12:00:00", *good[20:]]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    db = tmp_path / "clv.duckdb"
    output = run_dbt("build", tmp_path, db, {"orders_path": str(path)}, *SQL_LAYER)
    assert query(db, "select count(*) from marts.fct_sales") == [(30,)]
    rejected = query(
        db, "select reject_reason, raw_line from intermediate.int_order_lines_rejected order by 2"
    )
    assert rejected == [
        ("unreadable_line", "r1,1,c1,2024-03-01 12:00:00,1,234.50,completed,p1"),
        ("unreadable_line", "r2,1,c2,2024-03-01 12:00:00"),
    ]
    assert "Quarantine: 2 of 32 raw rows" in output


def test_a_windows_1252_file_read_as_utf8_names_orders_encoding(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(
        "order_id,customer_id,ordered_at,amount\no1,caf\u00e9 \u20ac,2024-03-01,10\n".encode("cp1252")
    )
    done = invoke_dbt("build", tmp_path, tmp_path / "clv.duckdb", {"orders_path": str(path)})
    assert done.returncode != 0
    assert "is not UTF-8 text" in done.stdout and "set the var orders_encoding" in done.stdout
    done = invoke_dbt(
        "build",
        tmp_path,
        tmp_path / "clv.duckdb",
        {"orders_path": str(path), "orders_encoding": "cp1252"},
    )
    with duckdb.connect() as con:
        (installed,) = con.execute(
            "select installed from duckdb_extensions() where extension_name = 'encodings'"
        ).fetchone()
    if not installed:  # offline: the one clear message instead of DuckDB's
        assert done.returncode != 0
        assert "needs DuckDB's encodings extension" in done.stdout
    else:
        assert done.returncode == 0, done.stdout[-3000:]

"""The input contract on messy files a real user has: each case ends in a clear error, or in
the documented keep or quarantine, and raw rows = kept + quarantined holds throughout."""

from __future__ import annotations

import csv
import gzip
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from integration_tests.conftest import NO_TESTS, SQL_LAYER, invoke_dbt, query, run_dbt

COLUMNS = ["order_id", "line_number", "customer_id", "ordered_at", "amount", "discount_amount", "quantity", "status", "product_id"]  # fmt: skip


def line(order_id, ordered_at="2024-03-01 12:00:00", amount="10", customer="c_any", number="1", **other):
    return {"order_id": order_id, "line_number": number, "customer_id": customer, "ordered_at": ordered_at,
            "amount": amount, "discount_amount": "0", "quantity": "1", "status": "completed", "product_id": "p1", **other}  # fmt: skip


# Lines that must be quarantined, by order_id, with their reason.
QUARANTINED = {
    "q_nan": ("non_finite_amount", line("q_nan", amount="NaN")),
    "q_inf": ("non_finite_amount", line("q_inf", amount="inf")),
    "q_ninf": ("non_finite_amount", line("q_ninf", amount="-inf")),
    "q_1e308": ("implausible_amount", line("q_1e308", amount="1e308")),
    "q_huge": ("implausible_amount", line("q_huge", amount="123456789012345678901234567890")),
    "q_1900": ("implausible_ordered_at", line("q_1900", ordered_at="1900-01-01")),
    "q_epoch": ("implausible_ordered_at", line("q_epoch", ordered_at="epoch")),
    "q_bc": ("implausible_ordered_at", line("q_bc", ordered_at="-2024-01-01")),
    "q_lost": ("unknown_status", line("q_lost", status="lost")),
    "q_comma": ("invalid_discount", line("q_comma", discount_amount="1,50")),
    "q_two": ("invalid_quantity", line("q_two", quantity="two")),
    "q_half": ("invalid_line_number", line("q_half", number="1.5")),
    "q_late": ("after_as_of_date", line("q_late", ordered_at="2024-07-15")),
    "q_text": ("invalid_amount", line("q_text", amount="ten")),
}

KEPT = [
    # Time: offsets honoured; naive text in source_timezone (America/New_York, EDT = UTC-4).
    line("t_offset", ordered_at="2024-05-01T22:30:00-05:00"),
    line("t_z", ordered_at="2024-05-01T22:30:00Z"),
    line("t_0530", ordered_at="2024-05-01 22:30:00+0530"),
    line("t_naive", ordered_at="2024-05-01 22:30:00"),
    line("t_date", ordered_at="2024-05-01"),
    # Statuses in other spellings.
    line("s_canceled", status="canceled", customer="c_status"),
    line("s_return", status="return", customer="c_status"),
    line("s_upper", status=" Completed ", customer="c_status"),
    # A purchase, then its return as a credit note (negative line) a week later.
    line("b_buy", amount="100", customer="c_buyer"),
    line("b_credit", ordered_at="2024-03-08", amount="-25", customer="c_buyer", quantity="-1"),
    # An order whose lines net to 0 is not a purchase.
    line("w_swap", amount="10", customer="c_swap"),
    line("w_swap", amount="-10", customer="c_swap", number="2"),
    line("w_real", amount="20", customer="c_swap"),
    # A customer with only a return (of a purchase before the data).
    line("r_only", amount="-30", customer="c_returns_only"),
    # Padding around a value goes (spaces and Unicode spaces, as an export from a spreadsheet
    # leaves them); spaces inside stay, and so do tabs (DuckDB's trim keeps them).
    line(" p_pad ", customer="\u00a0c_pad\u3000", product_id="p pad"),
    line("p_tab", customer="\tc_tab", product_id="\u00e9t\u00e9 "),
    # Identifiers keep their leading zeros; a product name with a quoted newline.
    line("z_zero", customer="007", product_id="Box\nset"),
    # No line numbers: two distinct lines are numbered 1, 2; an exact repeat is a duplicate.
    line("n_multi", number="", product_id="p2"),
    line("n_multi", number="", product_id="p1"),
    line("n_multi", number="", product_id="p1"),
    # A given number and a missing one in the same order: the missing one comes after.
    line("m_mix", number="1", product_id="p9"),
    line("m_mix", number="", product_id="p8"),
]


def write_csv(path: Path, rows: list[dict], columns=COLUMNS, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=options.pop("encoding", "utf-8")) as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", **options)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> dict:
    """One build of the SQL layer over every value-level case, from a folder whose name has a
    quote (the path must reach SQL as a literal)."""
    workdir = tmp_path_factory.mktemp("messy")
    rows = KEPT + [row for _, row in QUARANTINED.values()]
    data = write_csv(workdir / "o'brien shop" / "orders.csv", rows)
    db = workdir / "clv.duckdb"
    variables = {
        "orders_path": str(data),
        "as_of_date": "2024-06-30",
        "source_timezone": "America/New_York",
    }
    output = run_dbt("build", workdir, db, variables, *SQL_LAYER)
    return {"db": db, "rows": rows, "output": output}


def test_each_bad_value_is_quarantined_with_its_reason(messy):
    found = dict(
        query(messy["db"], "select order_id, reject_reason from intermediate.int_order_lines_rejected")
    )
    expected = {order_id: reason for order_id, (reason, _) in QUARANTINED.items()}
    expected["n_multi"] = "duplicate_line"
    assert found == expected


def test_raw_rows_reconcile_and_the_quarantine_share_is_printed(messy):
    ((kept, rejected),) = query(
        messy["db"],
        "select (select count(*) from marts.fct_sales), (select count(*) from intermediate.int_order_lines_rejected)",
    )
    assert kept + rejected == len(messy["rows"])
    assert f"Quarantine: {rejected} of {len(messy['rows'])} raw rows" in messy["output"]


@pytest.mark.parametrize(
    ("order_id", "utc"),
    [
        ("t_offset", "2024-05-02 03:30:00"),
        ("t_z", "2024-05-01 22:30:00"),
        ("t_0530", "2024-05-01 17:00:00"),
        ("t_naive", "2024-05-02 02:30:00"),
        ("t_date", "2024-05-01 04:00:00"),
    ],
)
def test_timestamps_are_converted_to_utc(messy, order_id, utc):
    ((ordered_at, order_date),) = query(
        messy["db"], "select ordered_at, order_date from marts.fct_sales where order_id = ?", [order_id]
    )
    assert ordered_at == datetime.fromisoformat(utc)
    assert str(order_date) == utc[:10]


def test_status_spellings_map_to_canonical_statuses(messy):
    rows = dict(
        (order_id, (status, net))
        for order_id, status, net in query(
            messy["db"],
            "select order_id, status, net_amount from marts.fct_sales where customer_id = 'c_status'",
        )
    )
    assert rows == {"s_canceled": ("cancelled", 0), "s_return": ("returned", 0), "s_upper": ("completed", 10)}


def test_a_return_is_a_credit_that_lowers_net_revenue_and_is_not_a_purchase(messy):
    ((net, is_purchase, is_credit),) = query(
        messy["db"],
        "select net_amount, is_purchase, is_credit from marts.fct_sales where order_id = 'b_credit'",
    )
    assert (net, is_purchase, is_credit) == (-25, False, True)
    ((revenue, returned, orders, days),) = query(
        messy["db"],
        "select total_net_revenue, returned_amount, order_count, purchase_days from marts.dim_customers "
        "where customer_id = 'c_buyer'",
    )
    assert (revenue, returned, orders, days) == (75, 25, 1, 1)
    ((frequency, recency, monetary, rfm_revenue),) = query(
        messy["db"],
        "select frequency, recency_days, monetary_value, total_net_revenue from marts.customer_rfm "
        "where customer_id = 'c_buyer'",
    )
    assert (frequency, recency, monetary, rfm_revenue) == (0, 0, 0, 75)


def test_an_order_netting_to_zero_is_not_a_purchase(messy):
    purchases = dict(
        query(
            messy["db"],
            "select order_id, bool_and(is_purchase) from marts.fct_sales where customer_id = 'c_swap' group by 1",
        )
    )
    assert purchases == {"w_swap": False, "w_real": True}
    ((orders, days),) = query(
        messy["db"], "select order_count, purchase_days from marts.dim_customers where customer_id = 'c_swap'"
    )
    assert (orders, days) == (1, 1)


def test_a_customer_with_only_returns_is_a_customer_without_a_purchase(messy):
    ((revenue, has_purchase, first_order, tenure),) = query(
        messy["db"],
        "select total_net_revenue, has_purchase, first_order_date, tenure_days from marts.dim_customers "
        "where customer_id = 'c_returns_only'",
    )
    assert (revenue, has_purchase, first_order, tenure) == (-30, False, None, None)
    assert query(
        messy["db"],
        "select frequency, r_score, f_score, m_score, rfm_segment, total_net_revenue from marts.customer_rfm "
        "where customer_id = 'c_returns_only'",
    ) == [(0, 0, 0, 0, "No purchase", -30)]


def test_padding_around_values_is_trimmed_and_inner_spaces_kept(messy):
    rows = query(
        messy["db"],
        "select order_id, customer_id, product_id from marts.fct_sales where order_id in ('p_pad', 'p_tab') order by 1",
    )
    assert rows == [("p_pad", "c_pad", "p pad"), ("p_tab", "\tc_tab", "\u00e9t\u00e9")]


def test_identifiers_keep_leading_zeros_and_quoted_newlines_survive(messy):
    assert query(
        messy["db"], "select customer_id, product_id from marts.fct_sales where order_id = 'z_zero'"
    ) == [("007", "Box\nset")]


def test_lines_without_numbers_are_numbered_by_content(messy):
    rows = query(
        messy["db"],
        "select order_id, line_number, product_id, is_line_number_derived from marts.fct_sales "
        "where order_id in ('n_multi', 'm_mix') order by 1, 2",
    )
    assert rows == [("m_mix", 1, "p9", False), ("m_mix", 2, "p8", True), ("n_multi", 1, "p1", True), ("n_multi", 2, "p2", True)]  # fmt: skip


def test_a_shop_without_line_numbers_loses_nothing(tmp_path):
    """The same generated shop with and without the line_number column: the same lines and
    revenue are kept (only exact repeats are duplicates), not every second line of an order."""
    from dataclasses import replace

    from python_utils.tools.synth import ShopConfig, generate_shop, write_shop

    config = ShopConfig(customers=400, seed=9)
    totals = []
    for numbered in (True, False):
        lines, truth = generate_shop(replace(config, line_numbers=numbered))
        data = write_shop(lines, truth, tmp_path / f"numbered_{numbered}")
        db = tmp_path / f"numbered_{numbered}.duckdb"
        run_dbt("build", tmp_path, db, {"orders_path": str(data)}, "--select", "+fct_sales", *NO_TESTS)
        totals.append(query(db, "select count(*), round(sum(net_amount), 2) from marts.fct_sales")[0])
        multi_line_orders = (lines.groupby("order_id").size() > 1).sum()
    assert multi_line_orders > 100
    assert totals[0] == totals[1]
    assert totals[0][0] == truth["clean_lines"] + truth["dirty_lines"]["zero_amount"]


FORMAT_ROWS = [line("f1", customer="ü-customer", product_id="multi\nline"), line("f2", amount="12.5")]


def build_flagged(workdir: Path, data: Path, **variables) -> list[tuple]:
    db = workdir / f"{data.name}.duckdb"
    run_dbt("build", workdir, db, {"orders_path": str(data), **variables}, "--select", "+int_order_lines_flagged", *NO_TESTS)  # fmt: skip
    return query(db, "select order_id, customer_id, amount, product_id, reject_reason from intermediate.int_order_lines_flagged order by 1")  # fmt: skip


EXPECTED_FORMAT = [("f1", "ü-customer", 10.0, "multi\nline", None), ("f2", "c_any", 12.5, "p1", None)]


def test_semicolons_bom_crlf_and_reordered_mixed_case_columns(tmp_path):
    columns = list(reversed(COLUMNS))
    path = tmp_path / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow([c.upper() if i % 2 else c.title() for i, c in enumerate(columns)])
        writer.writerows([[row[c] for c in columns] for row in FORMAT_ROWS])
    assert build_flagged(tmp_path, path) == EXPECTED_FORMAT


def test_latin1_file_reads_with_orders_encoding(tmp_path):
    data = write_csv(tmp_path / "latin.csv", FORMAT_ROWS, encoding="latin-1")
    assert build_flagged(tmp_path, data, orders_encoding="latin-1") == EXPECTED_FORMAT


def test_gzipped_csv_and_upper_case_parquet_extension(tmp_path):
    plain = write_csv(tmp_path / "plain.csv", FORMAT_ROWS)
    packed = tmp_path / "orders.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert build_flagged(tmp_path, packed) == EXPECTED_FORMAT
    parquet = tmp_path / "ORDERS.PARQUET"
    pq.write_table(pa.Table.from_pylist(FORMAT_ROWS), parquet)
    assert build_flagged(tmp_path, parquet) == EXPECTED_FORMAT


def failing_build(tmp_path: Path, variables: dict) -> str:
    db = tmp_path / "clv.duckdb"
    done = invoke_dbt("build", tmp_path, db, variables)
    assert done.returncode != 0, done.stdout[-3000:]
    # Stopped before any model: not even staging exists.
    if db.exists():
        assert query(db, "select count(*) from information_schema.tables where table_schema != 'main'") == [
            (0,)
        ]
    return done.stdout


@pytest.fixture
def orders_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "orders.csv", [line("o1")])


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"horizon_days": 0}, "var 'horizon_days' is 0: expected a whole number from 7 to 3650"),
        ({"horizon_days": -5}, "var 'horizon_days' is -5"),
        ({"horizon_days": 100000}, "var 'horizon_days' is 100000"),
        ({"horizon_days": "91; drop table x"}, "var 'horizon_days'"),
        (
            {"as_of_date": "yesterday"},
            "var 'as_of_date' is \"yesterday\": expected a date written YYYY-MM-DD",
        ),
        ({"as_of_date": "2024-02-30"}, "expected a real calendar date"),
        ({"source_timezone": "Mars/Olympus"}, "var 'source_timezone'"),
        ({"orders_encoding": "ebcdic"}, "var 'orders_encoding'"),
        ({"max_line_amount": -1}, "var 'max_line_amount'"),
        ({"max_line_amount": 2e9}, "expected a positive amount in US dollars, at most 1e9"),
        ({"raw_schema": "raw; drop table x"}, "var 'raw_schema'"),
        ({"raw_loaded_at_column": "_loaded_at"}, "has no column _loaded_at (var raw_loaded_at_column)"),
        ({"backtest_sample_size": 1000}, "var 'backtest_sample_size' (1000) is below 'xgboost_sample_size'"),
        ({"segmentation_features": ["frequency; drop table x"]}, "var 'segmentation_features'"),
        ({"default_currency": "US'D"}, "var 'default_currency'"),
    ],
)
def test_bad_vars_stop_the_build_with_one_clear_message(tmp_path, orders_csv, variables, message):
    output = failing_build(tmp_path, {"orders_path": str(orders_csv), **variables})
    assert message in output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "is empty: no header line and no rows"),
        ("header.csv", "order_id,customer_id,ordered_at,amount\n", "has a header but no rows"),
        (
            "noamount.csv",
            "order_id,customer_id,ordered_at\no1,c1,2024-01-01\n",
            "lacks required column(s) amount; found: order_id, customer_id, ordered_at",
        ),  # fmt: skip
        ("orders.xlsx", "x", "expected a file or glob ending in .csv"),
    ],
)
def test_bad_files_stop_the_build_with_one_clear_message(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    assert message in failing_build(tmp_path, {"orders_path": str(path)})


def test_a_path_matching_no_file_says_so(tmp_path):
    output = failing_build(tmp_path, {"orders_path": str(tmp_path / "nowhere" / "*.csv")})
    assert "matches no file" in output


def test_a_crafted_path_cannot_run_sql(tmp_path):
    db = tmp_path / "clv.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table victim as select 1 as x")
    pwned = tmp_path / "pwned.csv"
    crafted = (
        f"{tmp_path}/x.csv', all_varchar = true); copy (select 42 as x) to '{pwned}'; "
        f"drop table victim; select * from read_csv('{tmp_path}/y.csv"
    )
    for variables in (
        {"orders_path": crafted},
        {
            "orders_path": str(write_csv(tmp_path / "ok.csv", [line("o1")])),
            "as_of_date": "2024-01-01'); drop table victim; --",
        },  # fmt: skip
    ):
        done = invoke_dbt("build", tmp_path, db, variables)
        assert done.returncode != 0
        assert not pwned.exists()
        assert query(db, "select count(*) from victim") == [(1,)]


def test_the_same_parquet_gives_identical_marts_in_any_machine_time_zone(tmp_path):
    """A timestamptz column and naive text, read under TZ=UTC and TZ=America/New_York."""
    from python_utils.tools.synth import ShopConfig, generate_shop

    lines, _ = generate_shop(ShopConfig(customers=300, seed=4))
    lines = lines[lines["dirty_kind"].isna()].drop(columns="dirty_kind")
    local = pd.to_datetime(lines["ordered_at"], format="mixed")  # some on a 12-hour clock
    aware = pa.array(
        [datetime.fromisoformat(f"{t:%Y-%m-%d %H:%M:%S}+02:00") for t in local],
        pa.timestamp("us", tz="Europe/Berlin"),
    )
    table = pa.Table.from_pandas(lines.drop(columns="ordered_at"), preserve_index=False).append_column(
        "ordered_at", aware
    )
    data = tmp_path / "orders.parquet"
    pq.write_table(table, data)
    marts = []
    for zone in ("UTC", "America/New_York"):
        db = tmp_path / f"{zone.replace('/', '_')}.duckdb"
        run_dbt("build", tmp_path, db, {"orders_path": str(data)}, *SQL_LAYER, env={"TZ": zone})
        marts.append(
            [
                query(db, f"select * from marts.{table} order by all")
                for table in ("fct_sales", "dim_customers", "customer_rfm")
            ]
        )
    assert marts[0] == marts[1]
    first = local.min().to_pydatetime()
    ((earliest,),) = query(db, "select min(ordered_at) from marts.fct_sales")
    assert earliest == first - (datetime(2000, 1, 1, 2) - datetime(2000, 1, 1))

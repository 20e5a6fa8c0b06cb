"""fct_sales is incremental and safe: a later load equals a full build, late edits inside the
lookback window are picked up, and anything else that changed old lines (another file, an
edited old line, a latest date that went backwards) rewrites the whole table, saying why."""

import duckdb
import pandas as pd
import pytest

from integration_tests.conftest import NO_TESTS, run_dbt
from python_utils.tools.synth import ShopConfig, generate_shop, write_shop


def differs_from_full_build(db, reference_db) -> int:
    """Rows in either fct_sales that the other does not have."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"attach '{reference_db}' as full_build (read_only)")
        return sum(
            con.execute(f"select count(*) from (select * from {a} except all select * from {b})").fetchone()[
                0
            ]
            for a, b in (
                ("marts.fct_sales", "full_build.marts.fct_sales"),
                ("full_build.marts.fct_sales", "marts.fct_sales"),
            )
        )


def load(tmp_path, db, data) -> str:
    return run_dbt("build", tmp_path, db, {"orders_path": str(data)}, "--select", "+fct_sales", *NO_TESTS)


def test_incremental_run_equals_full_refresh(demo_shop, tmp_path):
    lines, truth = demo_shop["lines"], demo_shop["truth"]
    ordered_at = pd.to_datetime(
        lines["ordered_at"], errors="coerce", format="mixed"
    )  # some on a 12-hour clock
    early = write_shop(lines[ordered_at < "2025-07-01"], truth, tmp_path / "early")
    db = tmp_path / "incremental.duckdb"
    # Day one: the first 30 months. Day two: all of it, merged into the same fct_sales.
    load(tmp_path, db, early)
    with duckdb.connect(str(db), read_only=True) as con:
        (first_max,) = con.execute("select max(order_date) from marts.fct_sales").fetchone()
    assert str(first_max) < "2025-07-01"
    output = load(tmp_path, db, demo_shop["data"])
    assert "fct_sales: window refresh" in output
    assert differs_from_full_build(db, demo_shop["db"]) == 0


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("small_incremental")
    lines, truth = generate_shop(ShopConfig(customers=600, seed=21))
    return {"workdir": workdir, "lines": lines, "truth": truth}


def edited(small_shop, name: str, change) -> dict:
    """The small shop with one change applied, written with a full build of it beside."""
    workdir = small_shop["workdir"] / name
    lines = change(small_shop["lines"].copy())
    data = write_shop(lines, small_shop["truth"], workdir / "raw")
    reference = workdir / "full.duckdb"
    load(workdir, reference, data)
    return {"data": data, "reference": reference, "workdir": workdir}


@pytest.fixture
def loaded(small_shop, tmp_path):
    """An incremental fct_sales loaded from the small shop as it was."""
    data = write_shop(small_shop["lines"], small_shop["truth"], tmp_path / "raw")
    db = tmp_path / "incremental.duckdb"
    load(tmp_path, db, data)
    return db


def valid_lines(lines: pd.DataFrame) -> pd.Series:
    return lines["dirty_kind"].isna() & pd.to_numeric(lines["amount"], errors="coerce").gt(0)


def test_a_late_refund_inside_the_lookback_window_is_picked_up(small_shop, loaded, tmp_path):
    def refund_latest_sale(lines):
        latest = lines[valid_lines(lines)].sort_values("ordered_at").index[-1]
        lines.loc[latest, "status"] = "refunded"
        return lines

    changed = edited(small_shop, "late_refund", refund_latest_sale)
    output = load(tmp_path, loaded, changed["data"])
    assert "fct_sales: window refresh" in output
    assert differs_from_full_build(loaded, changed["reference"]) == 0


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        (
            "old_line_edited",
            lambda lines: lines.assign(
                status=lines["status"].where(
                    lines.index != lines[valid_lines(lines)].sort_values("ordered_at").index[0], "refunded"
                )
            ),
            "differ from the input",
        ),
        (
            "old_line_deleted",
            lambda lines: lines.drop(lines[valid_lines(lines)].sort_values("ordered_at").index[0]),
            "differ from the input",
        ),
        (
            "latest_date_went_backwards",
            lambda lines: lines[~lines["ordered_at"].str.startswith("2025-12")],
            "latest order date",
        ),
        (
            "another_file",
            lambda lines: generate_shop(ShopConfig(customers=300, seed=99))[0],
            "differ from the input",
        ),
    ],
)
def test_changed_old_lines_rewrite_the_whole_table_and_say_why(
    small_shop, loaded, tmp_path, name, change, reason
):
    changed = edited(small_shop, name, change)
    output = load(tmp_path, loaded, changed["data"])
    assert "fct_sales: full refresh" in output and reason in output
    assert differs_from_full_build(loaded, changed["reference"]) == 0

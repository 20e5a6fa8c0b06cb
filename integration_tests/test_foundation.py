"""The SQL layer on real data: quarantine, reconciliation, as_of_date, CDNOW."""

import pandas as pd

from integration_tests.conftest import query

REJECTED_KINDS = (
    "missing_customer_id",
    "duplicate_line",
    "negative_amount",
    "unparsable_ordered_at",
    "future_ordered_at",
    "unknown_currency",
)


def test_every_dirty_row_is_quarantined_with_its_reason(demo_shop):
    reasons = dict(
        query(
            demo_shop["db"],
            "select reject_reason, count(*) from intermediate.int_order_lines_rejected group by 1",
        )
    )
    expected = {kind: demo_shop["truth"]["dirty_lines"][kind] for kind in REJECTED_KINDS}
    assert reasons == {k: v for k, v in expected.items() if v > 0}


def test_raw_rows_reconcile_with_clean_and_quarantined(demo_shop):
    ((sales, rejected),) = query(
        demo_shop["db"],
        "select (select count(*) from marts.fct_sales), "
        "(select count(*) from intermediate.int_order_lines_rejected)",
    )
    assert sales + rejected == demo_shop["truth"]["raw_lines"]
    assert sales == demo_shop["truth"]["clean_lines"] + demo_shop["truth"]["dirty_lines"]["zero_amount"]


def test_zero_amount_lines_are_kept_not_rejected(demo_shop):
    ((zero_lines,),) = query(demo_shop["db"], "select count(*) from marts.fct_sales where is_zero_amount")
    assert zero_lines >= demo_shop["truth"]["dirty_lines"]["zero_amount"]


def test_every_customer_has_one_rfm_row(demo_shop):
    ((customers, rfm_rows, distinct_rfm),) = query(
        demo_shop["db"],
        "select (select count(distinct customer_id) from marts.fct_sales), "
        "(select count(*) from marts.customer_rfm), "
        "(select count(distinct customer_id) from marts.customer_rfm)",
    )
    assert customers == rfm_rows == distinct_rfm == demo_shop["truth"]["customers_with_orders"]


def test_cdnow_builds_with_zero_dollar_rows_and_minimal_columns(cdnow_shop):
    lines = cdnow_shop["lines"]
    as_of = pd.Timestamp(cdnow_shop["as_of"])
    on_or_before = lines[pd.to_datetime(lines["ordered_at"]) <= as_of]
    ((sales, zero, last_date),) = query(
        cdnow_shop["db"],
        "select count(*), count(*) filter (where is_zero_amount), max(order_date) from marts.fct_sales",
    )
    assert sales == len(on_or_before)
    assert zero == int((on_or_before["amount"] == 0).sum()) > 0
    assert pd.Timestamp(last_date) <= as_of


def test_as_of_date_quarantines_later_rows_and_leaks_nothing(cdnow_shop):
    lines = cdnow_shop["lines"]
    as_of = pd.Timestamp(cdnow_shop["as_of"])
    later = int((pd.to_datetime(lines["ordered_at"]) > as_of).sum())
    ((after_rows,),) = query(
        cdnow_shop["db"],
        "select count(*) from intermediate.int_order_lines_rejected where reject_reason = 'after_as_of_date'",
    )
    assert after_rows == later > 0
    ((customers, max_t, max_last),) = query(
        cdnow_shop["db"],
        "select count(*), max(t_days), max(last_order_date) from marts.customer_rfm",
    )
    first_dates = pd.to_datetime(lines.groupby("customer_id")["ordered_at"].min())
    assert customers == int((first_dates <= as_of).sum())
    assert max_t == (as_of - first_dates.min()).days
    assert pd.Timestamp(max_last) <= as_of

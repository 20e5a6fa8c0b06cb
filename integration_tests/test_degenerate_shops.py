"""Tiny and odd shops build green and publish a complete, finite prediction for every customer:
each has a documented fallback (python_utils.clv, docs/methodology.md) instead of a traceback."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest

from integration_tests.conftest import query, run_dbt


def orders(purchases: list[tuple[str, str, float]]) -> list[dict]:
    """(customer, ISO date, amount) -> raw order lines, one order each."""
    return [
        {"order_id": f"o{i}", "customer_id": customer, "ordered_at": day, "amount": amount}
        for i, (customer, day, amount) in enumerate(purchases)
    ]


def days_from(start: str, offsets: list[int]) -> list[str]:
    first = date.fromisoformat(start)
    return [(first + timedelta(days=offset)).isoformat() for offset in offsets]


SHOPS = {
    "one_customer": (orders([("c1", d, 20.0) for d in days_from("2024-01-05", [0, 40, 95, 200])]), {}),
    "two_customers": (
        orders(
            [("c1", d, 20.0) for d in days_from("2024-01-05", [0, 40, 300])] + [("c2", "2024-06-01", 35.0)]
        ),
        {},
    ),
    "only_one_time_buyers": (
        orders(
            [(f"c{i}", d, 10.0 + i) for i, d in enumerate(days_from("2024-01-01", list(range(0, 360, 6))))]
        ),
        {},
    ),
    "no_one_time_buyers": (
        orders(
            [(f"c{i}", d, 15.0) for i in range(30) for d in days_from("2024-01-01", [i, i + 90 + i, i + 250])]
        ),
        {},
    ),
    "every_order_on_one_day": (orders([(f"c{i}", "2024-03-03", 12.0) for i in range(40)]), {}),
    "horizon_longer_than_history": (
        orders(
            [(f"c{i % 25}", d, 9.0) for i, d in enumerate(days_from("2024-03-01", list(range(0, 60, 1))))]
        ),
        {"horizon_days": 365},
    ),
    "as_of_date_after_the_data": (
        orders(
            [(f"c{i % 40}", d, 11.0) for i, d in enumerate(days_from("2023-01-01", list(range(0, 700, 3))))]
        ),
        {"as_of_date": "2026-06-30", "horizon_days": 182},
    ),
}


@pytest.mark.parametrize("name", list(SHOPS))
def test_degenerate_shop_publishes_complete_finite_predictions(tmp_path, name):
    rows, variables = SHOPS[name]
    data = tmp_path / "orders.csv"
    with open(data, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    db = tmp_path / "clv.duckdb"
    run_dbt("build", tmp_path, db, {"orders_path": str(data), **variables})
    ((customers, predictions, broken, statuses),) = query(
        db,
        "select (select count(*) from marts.customer_rfm), count(*), "
        "count(*) filter (where not (isfinite(predicted_revenue) and isfinite(predicted_clv) "
        "and isfinite(p_alive) and isfinite(expected_purchases) and isfinite(expected_avg_order_value) "
        "and predicted_revenue >= 0 and clv_lower <= predicted_clv and predicted_clv <= clv_upper)), "
        "count(distinct validation_status) filter (where validation_status is not null) "
        "from marts.clv_predictions",
    )
    assert customers == len({row["customer_id"] for row in rows}) == predictions
    assert broken == 0 and statuses >= 1
    # Without backtest residuals a group's interval is the estimate itself, not [0, estimate].
    ((widened,),) = query(
        db,
        "select count(*) from marts.clv_predictions where validation_status = 'not_backtestable' "
        "and (clv_lower != predicted_clv or clv_upper != predicted_clv)",
    )
    assert widened == 0
    ((segmented,),) = query(db, "select count(*) from marts.customer_segments")
    assert segmented == customers

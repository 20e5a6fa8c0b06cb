"""CDNOW at the splits real users pick: a short history (the backtest window shrinks), a long
horizon, and a short one. Each builds green and publishes every customer, with its evidence,
and its published model is held against the plain lifetimes route on the same customers and
holdout (the table in docs/methodology.md). (1998-03-31, 182 days) is the cdnow_shop fixture.)"""

import duckdb
import pytest

from integration_tests.conftest import query, run_dbt
from python_utils.reference import lifetimes_route
from python_utils.tools.cdnow import load_cdnow_order_lines

# Per split, what the published model holds against lifetimes' plain route (measured: the table in
# docs/methodology.md): the least normalized-Gini gain and the most MAE ratio (ours / lifetimes').
AGAINST_LIFETIMES = {
    "1997-08-31": (0.05, 0.98),
    "1998-03-31": (0.005, 1.005),
    "1998-06-30": (0.005, 1.005),
    "1997-06-30": (0.05, 0.975),
}


def assert_against_lifetimes(db, as_of_date):
    with duckdb.connect(str(db), read_only=True) as con:
        comparison = lifetimes_route.published_against_lifetimes(con, as_of_date)
    ours, plain = comparison["ours"], comparison["lifetimes"]
    gini_gain, mae_ratio = AGAINST_LIFETIMES[as_of_date]
    assert ours["normalized_gini"] >= plain["normalized_gini"] + gini_gain
    assert ours["mae"] <= plain["mae"] * mae_ratio
    # the total no further off than lifetimes' where both forecast December blind (below)
    if as_of_date.startswith("1998"):
        assert abs(ours["aggregate_revenue_error"]) <= abs(plain["aggregate_revenue_error"])


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cdnow_splits") / "orders.csv"
    load_cdnow_order_lines().to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("as_of_date", "horizon_days", "window", "status"),
    [
        # Eight months of history: the backtest holds out half of it, not 243 days before the first order.
        ("1997-08-31", 243, "shortened", "validated"),
        # The holdout holds December 1997 with under a year to learn a calendar from: below target, said so.
        ("1998-06-30", 273, "shortened", "below_target"),
        # Six months of history, a 90-day backtest. Its status has not been the same on every
        # machine (validated in CI on 2026-11-24; below_target, BG/NBD +12%, on 2026-12-03 at
        # that same commit), so here only the evidence behind it is checked.
        ("1997-06-30", 91, "shortened", None),
    ],
)
def test_cdnow_split_builds_green_and_publishes_every_customer(
    cdnow_csv, tmp_path, as_of_date, horizon_days, window, status
):
    db = tmp_path / "clv.duckdb"
    variables = {"orders_path": str(cdnow_csv), "as_of_date": as_of_date, "horizon_days": horizon_days}
    run_dbt("build", tmp_path, db, variables)
    ((customers, predictions, broken, statuses),) = query(
        db,
        "select (select count(*) from marts.customer_rfm), count(*), "
        "count(*) filter (where not (isfinite(predicted_clv) and predicted_revenue >= 0 "
        "and clv_lower <= predicted_clv and predicted_clv <= clv_upper)), "
        "count(distinct validation_status) from marts.clv_predictions",
    )
    assert customers == predictions > 20_000 and broken == 0 and statuses >= 1
    ((backtest_window, backtest_days),) = query(
        db, "select backtest_window, backtest_horizon_days from intermediate.int_as_of_date"
    )
    assert backtest_window == window and backtest_days <= horizon_days
    ((published_status, error, mae, best_baseline_mae),) = query(
        db,
        "select validation_status, aggregate_revenue_error, mae, best_baseline_mae from ml.clv_model_metrics "
        "where model_name = 'published' and customer_group = 'all'",
    )
    # The status follows the backtest: within clv_max_aggregate_error and no worse than the best baseline.
    evidence = "validated" if abs(error) <= 0.10 and mae <= best_baseline_mae else "below_target"
    assert published_status == evidence
    assert status is None or published_status == status
    # what published is what the evidence is of: no group's choice falls back at as_of_date
    ((fallbacks,),) = query(
        db,
        "select count(*) from ml.clv_revenue_predictions as predicted inner join ml.clv_model_metrics as metrics "
        "on predicted.customer_group = metrics.customer_group and metrics.model_name = 'published' "
        "where predicted.model_name != metrics.published_model",
    )
    assert fallbacks == 0
    assert_against_lifetimes(db, as_of_date)


def test_cdnow_with_december_in_the_holdout_against_lifetimes(cdnow_shop):
    assert_against_lifetimes(cdnow_shop["db"], cdnow_shop["as_of"])

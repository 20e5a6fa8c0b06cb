"""clv_* models on the demo data (known ground truth) and on CDNOW."""

import json

import pytest

from integration_tests.conftest import query, run_dbt


def metric(db, model_name: str, group: str, column: str) -> float:
    ((value,),) = query(
        db,
        f"select {column} from ml.clv_model_metrics where model_name = ? and customer_group = ?",
        [model_name, group],
    )
    return value


def test_every_customer_has_one_sane_prediction(demo_shop):
    ((customers, predictions, bad),) = query(
        demo_shop["db"],
        "select (select count(*) from marts.customer_rfm), count(*), "
        "count(*) filter (where not (isfinite(predicted_clv) and predicted_revenue >= 0 "
        "and clv_lower <= predicted_clv and predicted_clv <= clv_upper)) from marts.clv_predictions",
    )
    assert predictions == customers and bad == 0


def test_published_model_beats_both_baselines_on_mae_and_gini(demo_shop):
    db = demo_shop["db"]
    for baseline in ("baseline_last_period", "baseline_spend_rate"):
        assert metric(db, "published", "all", "mae") < metric(db, baseline, "all", "mae")
        assert metric(db, "published", "all", "normalized_gini") > metric(
            db, baseline, "all", "normalized_gini"
        )


def test_backtest_aggregate_errors_are_small_on_generated_data(demo_shop):
    db = demo_shop["db"]
    assert abs(metric(db, "btyd", "all", "aggregate_revenue_error")) < 0.05
    assert abs(metric(db, "btyd", "all", "aggregate_transactions_error")) < 0.05
    assert abs(metric(db, "published", "all", "aggregate_revenue_error")) < 0.05
    assert metric(db, "published", "all", "interval_coverage") == pytest.approx(0.8, abs=0.03)


def test_fitted_bgnbd_recovers_the_true_parameters(demo_shop):
    ((parameters,),) = query(
        demo_shop["db"],
        "select parameters_json from ml.clv_model_fits where snapshot_name = 'scoring' and model_name = 'bgnbd'",
    )
    fitted, truth = json.loads(parameters), demo_shop["truth"]["true_params"]
    for name in ("r", "alpha", "a", "b"):
        assert fitted[name] == pytest.approx(truth[name], rel=0.15), name


def test_runs_accumulate_history(demo_shop):
    ((runs, rows),) = query(demo_shop["db"], "select count(distinct run_id), count(*) from ml.clv_model_runs")
    assert runs >= 1 and rows == runs * 6  # bgnbd, gamma_gamma, seasonality, cox, xgboost, cold_start


@pytest.fixture(scope="module")
def december_shop(tmp_path_factory) -> dict:
    """A shop whose purchases peak in December (3x an average month at the peak), with returns
    as negative credit lines; the 182-day holdout (July to December) holds the peak."""
    from python_utils.tools.synth import ShopConfig, generate_shop, write_shop

    workdir = tmp_path_factory.mktemp("december")
    lines, truth = generate_shop(ShopConfig(customers=8_000, seed=7, seasonality=2.0))
    data = write_shop(lines, truth, workdir / "raw")
    db = workdir / "clv.duckdb"
    variables = {"orders_path": str(data), "horizon_days": 182, "clv_gate_severity": "error"}
    run_dbt("build", workdir, db, variables)
    return {"db": db, "truth": truth}


def test_a_december_peak_is_forecast_within_ten_percent(december_shop):
    db = december_shop["db"]
    assert abs(metric(db, "published", "all", "aggregate_revenue_error")) < 0.10
    # BG/NBD alone assumes a constant rate and misses the peak; the calendar adjustment does not.
    plain, seasonal = (
        metric(db, name, "all", "aggregate_revenue_error") for name in ("btyd", "btyd_seasonal")
    )
    assert plain < -0.05 and abs(seasonal) < abs(plain)
    for baseline in ("baseline_last_period", "baseline_spend_rate"):
        assert metric(db, "published", "all", "mae") < metric(db, baseline, "all", "mae")
        assert metric(db, "published", "all", "normalized_gini") > metric(
            db, baseline, "all", "normalized_gini"
        )
    ((statuses,),) = query(
        db, "select count(*) from marts.clv_predictions where validation_status = 'validated'"
    )
    assert statuses > 0

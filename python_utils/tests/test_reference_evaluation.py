import numpy as np
import pytest

from python_utils.reference import evaluation


def test_normalized_gini_is_one_for_the_perfect_ranking_and_negative_reversed():
    actual = np.array([0, 0, 5, 10, 50, 100.0])
    assert evaluation.normalized_gini(actual, actual) == pytest.approx(1.0)
    assert evaluation.normalized_gini(actual, -actual) < 0
    assert evaluation.normalized_gini(actual, actual * 3 + 7) == pytest.approx(1.0)


def test_metrics_of_a_known_prediction():
    actual = np.arange(20, dtype=float)
    metrics = evaluation.revenue_metrics(actual, actual + 2)
    assert metrics["mae"] == pytest.approx(2.0)
    assert metrics["rmse"] == pytest.approx(2.0)
    assert metrics["spearman"] == pytest.approx(1.0)
    assert metrics["aggregate_revenue_error"] == pytest.approx(40 / actual.sum())
    assert evaluation.decile_mape(actual, actual) == pytest.approx(0.0)


def test_conformal_intervals_cover_as_promised():
    rng = np.random.default_rng(1)
    predicted = rng.gamma(2, 50, 20_000)
    actual = predicted + rng.normal(0, 0.3 * predicted + 5)  # heteroscedastic noise
    half = evaluation.seeded_half([f"c{i}" for i in range(len(actual))], seed=42)
    assert half.mean() == pytest.approx(0.5, abs=0.02)
    coverage = evaluation.cross_fitted_coverage(actual, predicted, 0.8, half)
    assert coverage == pytest.approx(0.8, abs=0.02)
    edges = evaluation.interval_bins(predicted)
    lower, upper = evaluation.apply_offsets(
        predicted, edges, evaluation.conformal_offsets(actual, predicted, edges, 0.8)
    )
    assert (lower <= predicted).all() and (predicted <= upper).all() and (lower >= 0).all()
    # Bins follow the noise: wider intervals where predictions are larger.
    assert (upper - lower)[predicted > np.quantile(predicted, 0.8)].mean() > (upper - lower)[
        predicted < np.quantile(predicted, 0.2)
    ].mean()


def test_gini_is_undefined_when_everyone_spent_the_same():
    assert np.isnan(evaluation.normalized_gini([5.0, 5.0, 5.0], [1.0, 2.0, 3.0]))

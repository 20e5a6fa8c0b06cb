"""BG/NBD and Gamma-Gamma against the literature (CDNOW) and against known ground truth."""

import warnings

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary, load_cdnow_summary_data_with_monetary_value

from python_utils import btyd
from python_utils.tools.synth import TrueParams, simulate_purchase_times

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader et al. 2005, weeks
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader, Hardie & Lee 2005


def test_bgnbd_reproduces_cdnow_parameters_in_weeks():
    data = load_cdnow_summary(index_col=[0])
    fit = btyd.fit_bgnbd(data["frequency"], data["recency"], data["T"])
    for name, published in PUBLISHED_BGNBD.items():
        assert fit.params[name] == pytest.approx(published, rel=0.01), name
    assert fit.penalizer == 0.0 and fit.converged
    assert fit.distinct_rows < fit.rows  # it really fitted on compressed rows


def test_gamma_gamma_reproduces_cdnow_parameters():
    data = load_cdnow_summary_data_with_monetary_value()
    fit = btyd.fit_gamma_gamma(data["frequency"], data["monetary_value"])
    for name, published in PUBLISHED_GG.items():
        assert fit.params[name] == pytest.approx(published, rel=0.01), name


def test_compressed_fit_equals_the_plain_lifetimes_fit():
    data = load_cdnow_summary(index_col=[0])
    plain = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"]).params_
    compressed = btyd.fit_bgnbd(data["frequency"], data["recency"], data["T"]).params
    for name in plain.index:
        assert compressed[name] == pytest.approx(plain[name], rel=1e-4)


def test_side_by_side_fits_equal_the_fits_one_after_the_other():
    data = load_cdnow_summary_data_with_monetary_value()
    filters = list(warnings.filters)
    bgnbd, gamma_gamma = btyd.fit_btyd(data["frequency"], data["recency"], data["T"], data["monetary_value"])
    assert bgnbd.params == btyd.fit_bgnbd(data["frequency"], data["recency"], data["T"]).params
    assert gamma_gamma.params == btyd.fit_gamma_gamma(data["frequency"], data["monetary_value"]).params
    assert warnings.filters == filters  # the threads' warning filters did not leak out


def _within(fitted: pd.DataFrame, truth: dict, z: float = 3.0) -> None:
    """Each true parameter lies within z standard errors of its estimate."""
    for name, value in truth.items():
        coef, se = fitted.loc[name, "coef"], fitted.loc[name, "se(coef)"]
        assert abs(coef - value) <= z * se, f"{name}: {coef:.4g} +/- {se:.2g}, truth {value}"


def test_bgnbd_recovers_the_generators_true_parameters():
    params = TrueParams()
    rng = np.random.default_rng(2024)
    n, days = 30_000, 1096
    customer, time_days = simulate_purchase_times(rng, n, days, params)
    frame = pd.DataFrame({"c": customer, "t": time_days}).groupby("c")["t"].agg(["min", "max", "count"])
    frequency, recency, T = frame["count"] - 1, frame["max"] - frame["min"], days - frame["min"]
    fit = btyd.fit_bgnbd(frequency, recency, T)
    reference = BetaGeoFitter().fit(frequency, recency, T)  # for the standard errors
    assert fit.params == pytest.approx(reference.params_.to_dict(), rel=1e-3)
    _within(reference.summary, {"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b})


def test_gamma_gamma_recovers_the_generators_true_parameters():
    params = TrueParams()
    rng = np.random.default_rng(7)
    n = 20_000
    repeats = rng.integers(1, 12, n)
    nu = rng.gamma(params.q, 1 / params.v, n)
    spend = rng.gamma(params.p * repeats, 1 / nu)  # sum of `repeats` Gamma(p, nu) draws
    monetary = spend / repeats
    fit = btyd.fit_gamma_gamma(repeats, monetary)
    reference = GammaGammaFitter().fit(repeats, monetary)
    assert fit.params == pytest.approx(reference.params_.to_dict(), rel=1e-3)
    _within(reference.summary, {"p": params.p, "q": params.q, "v": params.v})


def test_non_convergence_retries_with_a_penalizer_and_records_it():
    frequency = np.array([1, 2, 0, 3, 0, 1] * 50)
    recency = np.array([5, 8, 0, 20, 0, 3] * 50)
    T = np.array([30, 30, 30, 40, 40, 25] * 50)
    fit = btyd.fit_bgnbd(frequency, recency, T)
    assert fit.penalizer > 0
    assert "ConvergenceError" in fit.note
    assert all(np.isfinite(list(fit.params.values())))


def test_gamma_gamma_without_repeat_spend_says_why():
    with pytest.raises(RuntimeError, match="repeat buyers with positive spend"):
        btyd.fit_gamma_gamma(np.zeros(50), np.zeros(50))


def test_predictions_are_finite_for_zero_dollar_and_one_time_customers():
    data = load_cdnow_summary(index_col=[0])
    bg = btyd.fit_bgnbd(data["frequency"], data["recency"], data["T"]).params
    gg = {"p": 6.25, "q": 3.74, "v": 15.44}
    pred = btyd.predict_btyd(bg, gg, [0, 2, 3], [0, 10.0, 30.0], [38.0, 38.0, 38.0], [0, 0.0, 25.0], 52)
    assert np.isfinite(pred.to_numpy()).all()
    assert pred.loc[0, "p_alive"] == 1.0  # BG/NBD: no repeat purchase, no chance to drop out yet
    assert pred.loc[1, "expected_avg_order_value"] == pytest.approx(6.25 * 15.44 / 2.74, rel=1e-6)


def test_weighted_distinct_rows_fit_as_the_customers_they_stand_for():
    data = load_cdnow_summary_data_with_monetary_value()
    per_customer = btyd.fit_bgnbd(data["frequency"], data["recency"], data["T"])
    rows = data.groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    weighted = btyd.fit_bgnbd(rows["frequency"], rows["recency"], rows["T"], weights=rows["weight"])
    assert weighted.params == per_customer.params and weighted.rows == len(data)
    spend = (
        data[data["frequency"] > 0]
        .groupby(["frequency", "monetary_value"])
        .size()
        .rename("weight")
        .reset_index()
    )
    gg = btyd.fit_gamma_gamma(spend["frequency"], spend["monetary_value"], weights=spend["weight"])
    assert gg.params == btyd.fit_gamma_gamma(data["frequency"], data["monetary_value"]).params


def test_hypergeometric_term_over_the_customer_denominator_is_lifetimes_expectation():
    data = load_cdnow_summary(index_col=[0])
    params = btyd.fit_bgnbd(data["frequency"], data["recency"], data["T"]).params
    x, t_x, T = (data[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    numerator = btyd.expected_purchases_numerator(params, x, T, 52.0)
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    # what clv_customer_scores computes in SQL from the term
    denominator = 1 + np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    expected = btyd.expected_purchases(params, x, t_x, T, 52.0)
    np.testing.assert_allclose(numerator / denominator, expected, rtol=1e-12)

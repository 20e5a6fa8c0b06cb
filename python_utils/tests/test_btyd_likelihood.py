"""The fast BG/NBD and Gamma-Gamma fits give lifetimes' own parameters: same likelihood, same
optimiser, on per-customer rows and on weighted distinct rows, with and without a penalizer."""

import warnings

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
from lifetimes.utils import ConvergenceError

from python_utils import btyd_likelihood
from python_utils.tools.synth import TrueParams, simulate_purchase_times


def _lifetimes(fitter, *columns, weights=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fitter.fit(*columns, weights=weights).params_.to_dict()


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_bgnbd_equals_lifetimes_on_cdnow(penalizer):
    data = load_cdnow_summary_data_with_monetary_value()
    theirs = _lifetimes(
        BetaGeoFitter(penalizer_coef=penalizer), data["frequency"], data["recency"], data["T"]
    )
    ours = btyd_likelihood.fit_bgnbd(
        data["frequency"], data["recency"], data["T"], np.ones(len(data)), penalizer
    )
    assert ours == pytest.approx(theirs, rel=1e-8)


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_gamma_gamma_equals_lifetimes_on_cdnow(penalizer):
    data = load_cdnow_summary_data_with_monetary_value()
    data = data[data["frequency"] > 0]
    theirs = _lifetimes(GammaGammaFitter(penalizer_coef=penalizer), data["frequency"], data["monetary_value"])
    ours = btyd_likelihood.fit_gamma_gamma(
        data["frequency"], data["monetary_value"], np.ones(len(data)), penalizer
    )
    assert ours == pytest.approx(theirs, rel=1e-8)


def test_weighted_rows_in_days_equal_lifetimes():
    """Purchase days of the generator's BG/NBD customers over three years, as weighted distinct
    rows the way the warehouse hands them over; spend per purchase day from Gamma-Gamma."""
    rng = np.random.default_rng(11)
    customer, days = simulate_purchase_times(rng, 5_000, 1096, TrueParams())
    frame = pd.DataFrame({"c": customer, "t": np.floor(days)}).drop_duplicates()
    per_customer = frame.groupby("c")["t"].agg(["min", "max", "count"])
    frequency = per_customer["count"] - 1
    recency, T = per_customer["max"] - per_customer["min"], 1096 - per_customer["min"]
    rows = (
        pd.DataFrame({"frequency": frequency, "recency": recency, "T": T})
        .groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    )  # fmt: skip
    assert len(rows) < len(per_customer)  # really weighted
    theirs = _lifetimes(
        BetaGeoFitter(), rows["frequency"], rows["recency"], rows["T"], weights=rows["weight"]
    )
    ours = btyd_likelihood.fit_bgnbd(rows["frequency"], rows["recency"], rows["T"], rows["weight"], 0.0)
    assert ours == pytest.approx(theirs, rel=1e-6)
    repeats = frequency[frequency > 0].to_numpy()
    spend = rng.gamma(6.0 * repeats, 1 / rng.gamma(3.0, 1 / 15.0, len(repeats))) / repeats
    theirs = _lifetimes(GammaGammaFitter(), repeats, spend)
    ours = btyd_likelihood.fit_gamma_gamma(repeats, spend, np.ones(len(repeats)), 0.0)
    assert ours == pytest.approx(theirs, rel=1e-6)


def test_raises_where_lifetimes_does_not_converge():
    # A shop BG/NBD cannot identify: lifetimes raises ConvergenceError on some CPUs and on
    # others (AMD EPYC here) stops on the ridge with a and b in the millions, the floating
    # point deciding; we raise on every one rather than publish either.
    frequency = np.array([1, 2, 0, 3, 0, 1] * 50)
    recency = np.array([5, 8, 0, 20, 0, 3] * 50)
    T = np.array([30, 30, 30, 40, 40, 25] * 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theirs = BetaGeoFitter().fit(frequency, recency, T).params_
        except ConvergenceError:
            theirs = None
    assert theirs is None or min(theirs["a"], theirs["b"]) > 1e5
    with pytest.raises(ConvergenceError, match="did not converge"), np.errstate(all="ignore"):
        btyd_likelihood.fit_bgnbd(frequency, recency, T, np.ones(len(T)), 0.0)


def test_inconsistent_inputs_are_refused_as_lifetimes_refuses_them():
    with pytest.raises(ValueError, match="recency vector are larger than T"):
        btyd_likelihood.fit_bgnbd([1, 2], [10, 40], [20, 30], np.ones(2), 0.0)
    with pytest.raises(ValueError, match="monetary"):
        btyd_likelihood.fit_gamma_gamma([1, 2], [10.0, 0.0], np.ones(2), 0.0)


def test_a_precision_loss_stop_is_a_fit_only_where_the_gradient_vanishes():
    """BFGS stops on precision loss when the value no longer changes in float64: at the
    optimum of exp(x) - 2x lifted by 1e8 it is a fit; the non-identifiable shop above stops
    with a gradient of 2e-5 and stays a ConvergenceError."""

    def lifted(log_params, offset):
        return float(np.sum(np.exp(log_params) - 2 * log_params) + offset), np.exp(log_params) - 2

    stop = btyd_likelihood.minimize(lifted, x0=0.1 * np.ones(2), jac=True, tol=1e-7, args=(1e8,))
    assert not stop.success and stop.status == 2  # scipy reports precision loss here...
    assert 1e-7 < np.abs(stop.jac).max() < btyd_likelihood.STATIONARY
    found = btyd_likelihood._minimize(lifted, 2, (1e8,))  # ...at the optimum, log(2)
    assert found == pytest.approx(np.log(2) * np.ones(2), rel=1e-6)

"""BG/NBD and Gamma-Gamma (lifetimes' models) fitted on compressed sufficient statistics.

Inputs are per-customer arrays in lifetimes conventions: ``frequency`` (repeat purchase days),
``recency`` and ``T`` (in one time unit, days here), ``monetary`` (mean repeat spend). Customers
with equal statistics are collapsed into one weighted row, so fit time depends on the number of
distinct (frequency, recency, T) combinations, not on the number of customers. The fits minimise
lifetimes' own likelihoods the way lifetimes does (btyd_likelihood, tested equal to its fitters);
predictions call lifetimes.
"""

from __future__ import annotations

import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter

from python_utils import btyd_likelihood, fit_rows
from python_utils.weighted_rows import ArrayRows

PENALIZERS = (0.0, 0.001, 0.01, 0.1)
MIN_BGNBD_CUSTOMERS = 10  # fewer customers (or no repeat buyer) give no identifiable BG/NBD
MIN_GAMMA_GAMMA_CUSTOMERS = 10  # repeat buyers with positive spend


@dataclass
class FitResult:
    params: dict[str, float]
    penalizer: float
    converged: bool
    rows: int  # customers the fit describes
    distinct_rows: int  # weighted rows the optimiser saw
    seconds: float
    note: str = ""

    def to_row(self, name: str, **extra: float) -> dict:
        """Its clv_model_fits row (``extra``: more parameters stored beside the fitted ones)."""
        return fit_rows.model_row(name, self.params | extra, self.rows, self.seconds, self.converged,
                                  self.penalizer if self.converged else 0.0, self.note, self.distinct_rows)  # fmt: skip

    @classmethod
    def from_row(cls, row, fitted_keys: tuple[str, ...]) -> FitResult:
        """Back from a clv_model_fits row; only ``fitted_keys`` are model parameters."""
        stored = fit_rows.parameters(row)
        converged = bool(row["converged"])
        return cls(
            params={k: float(stored[k]) for k in fitted_keys} if converged else {},
            penalizer=float(row["penalizer"]),
            converged=converged,
            rows=int(row["rows_used"]),
            distinct_rows=int(row["distinct_rows"]),
            seconds=float(row["fit_seconds"]),
            note=row["note"],
        )


BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")


def _compress(frame: pd.DataFrame, weights=None) -> pd.DataFrame:
    """Distinct rows of ``frame`` with a ``weight`` column counting their customers (``weights``:
    rows already weighted, e.g. the distinct rows the warehouse computed)."""
    weighted = frame.assign(weight=1 if weights is None else np.asarray(weights, float))
    return weighted.groupby(list(frame.columns), sort=True)["weight"].sum().reset_index()


def _array_rows(data: pd.DataFrame) -> ArrayRows:
    return ArrayRows({c: data[c] for c in data.columns if c != "weight"}, data["weight"])


def _valid(params: dict[str, float]) -> bool:
    values = np.array(list(params.values()))
    return bool(np.all(np.isfinite(values)) and np.all(values > 0))


def _fit_with_retries(name, fit, rows, customers: int, penalizers, is_valid) -> FitResult:
    """``fit(rows, penalizer)`` with each penalizer in turn until the fit succeeds with valid
    parameters; record what failed."""
    started = time.perf_counter()
    note = ""
    for penalizer in penalizers:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                params = fit(rows, penalizer)
        except Exception as error:  # ConvergenceError as lifetimes raises it, or numpy errors
            note += f"penalizer {penalizer}: {type(error).__name__}; "
            continue
        if is_valid(params):
            return FitResult(
                params=params,
                penalizer=penalizer,
                converged=True,
                rows=customers,
                distinct_rows=rows.count(),
                seconds=time.perf_counter() - started,
                note=note.strip(),
            )
        note += f"penalizer {penalizer}: invalid parameters; "
    raise RuntimeError(f"{name} did not converge with any penalizer ({note.strip()})")


def fit_bgnbd_rows(rows, penalizers=PENALIZERS) -> FitResult:
    """Fit BG/NBD on weighted distinct rows (frequency, recency_days, t_days, weight; in numpy
    or in the warehouse: weighted_rows); if the optimiser fails or gives non-finite parameters,
    retry penalised."""
    x = rows.column("frequency")
    customers, repeaters, watched = rows.weighted_sums(
        [1.0, rows.ops.where(x > 0, 1.0, 0.0), rows.ops.where(rows.column("t_days") > 0, 1.0, 0.0)]
    )
    if customers < MIN_BGNBD_CUSTOMERS or repeaters == 0 or watched == 0:
        raise RuntimeError(
            f"BG/NBD needs {MIN_BGNBD_CUSTOMERS}+ customers with a repeat buyer and time watched; "
            f"found {int(customers)} customers, {int(repeaters)} repeat buyers"
        )
    return _fit_with_retries(
        "BG/NBD", btyd_likelihood.fit_bgnbd_rows, rows, int(customers), penalizers, _valid
    )


def fit_bgnbd(frequency, recency, T, penalizers=PENALIZERS, weights=None) -> FitResult:
    """fit_bgnbd_rows on per-customer arrays, or on distinct rows with ``weights`` (customers per row)."""
    data = _compress(
        pd.DataFrame({"frequency": frequency, "recency_days": recency, "t_days": T}).astype(float), weights
    )
    return fit_bgnbd_rows(_array_rows(data), penalizers)


def fit_gamma_gamma_rows(rows, penalizers=PENALIZERS) -> FitResult:
    """Fit Gamma-Gamma on weighted distinct rows (frequency, monetary_value, weight) of repeat
    buyers with positive mean repeat spend, as fit_bgnbd_rows."""
    (buyers,) = rows.weighted_sums([1.0])
    if buyers < MIN_GAMMA_GAMMA_CUSTOMERS:
        raise RuntimeError(
            f"Gamma-Gamma needs {MIN_GAMMA_GAMMA_CUSTOMERS}+ repeat buyers with positive spend; found {int(buyers)}"
        )
    return _fit_with_retries(
        "Gamma-Gamma",
        btyd_likelihood.fit_gamma_gamma_rows,
        rows,
        int(buyers),
        penalizers,
        # q > 1 keeps the mean spend p * v / (q - 1) finite and positive.
        lambda params: _valid(params) and params["q"] > 1,
    )


def fit_gamma_gamma(frequency, monetary, penalizers=PENALIZERS, weights=None) -> FitResult:
    """fit_gamma_gamma_rows on the repeat buyers with positive spend among per-customer arrays
    (``weights`` as fit_bgnbd)."""
    frame = pd.DataFrame({"frequency": frequency, "monetary_value": monetary}).astype(float)
    frame["weight"] = 1.0 if weights is None else np.asarray(weights, float)
    frame = frame[(frame["frequency"] > 0) & (frame["monetary_value"] > 0)]
    data = _compress(frame[["frequency", "monetary_value"]], frame["weight"])
    return fit_gamma_gamma_rows(_array_rows(data), penalizers)


def not_fitted(name: str, error: Exception, rows: int) -> FitResult:
    """The record of a fit that could not be made; predictions use the documented fallback."""
    return FitResult(params={}, penalizer=float("nan"), converged=False, rows=rows, distinct_rows=0,
                     seconds=0.0, note=f"{name} not fitted, fallback used: {error}")  # fmt: skip


def fit_btyd(frequency, recency, T, monetary, weights=None) -> tuple[FitResult, FitResult]:
    """BG/NBD and Gamma-Gamma side by side. The fits are independent and spend their time in
    numpy and scipy array functions, which release the GIL, so on two cores both finish in
    about the time of the longer one. A fit that cannot be made (too few customers, no repeat
    buyers, no convergence with any penalizer) comes back with ``converged=False`` and empty
    parameters; predict_btyd then falls back (see there)."""

    def attempt(name, fit, *columns) -> FitResult:
        try:
            return fit(*columns)
        except RuntimeError as error:
            return not_fitted(name, error, len(frequency) if weights is None else int(np.sum(weights)))

    # Each fit silences warnings with catch_warnings, which swaps process-wide state; doing it
    # here too means whatever order the threads restore in, the caller gets its state back.
    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=2) as pool:
        warnings.simplefilter("ignore")
        bgnbd = pool.submit(
            attempt, "BG/NBD", lambda *c: fit_bgnbd(*c, weights=weights), frequency, recency, T
        )
        gamma_gamma = pool.submit(
            attempt, "Gamma-Gamma", lambda *c: fit_gamma_gamma(*c, weights=weights), frequency, monetary
        )
        return bgnbd.result(), gamma_gamma.result()


def bgnbd_model(params: dict[str, float]) -> BetaGeoFitter:
    """A BetaGeoFitter ready to predict from stored parameters."""
    model = BetaGeoFitter()
    model.params_ = pd.Series(params)[list(BGNBD_PARAMETERS)]
    return model


def gamma_gamma_model(params: dict[str, float]) -> GammaGammaFitter:
    model = GammaGammaFitter()
    model.params_ = pd.Series(params)[list(GAMMA_GAMMA_PARAMETERS)]
    return model


def horizon_share(T, horizon: float) -> np.ndarray:
    """The horizon as a share of the time a customer was watched: what scales a customer's
    history to the horizon at its historical rate. Customers watched for less than the horizon
    are not extrapolated (1)."""
    return horizon / np.maximum(np.asarray(T, float), horizon)


def prior_spend(gamma_gamma: dict[str, float], mean_spend: float) -> float:
    """Expected spend per purchase day of a customer without repeat spend: Gamma-Gamma's prior
    mean p * v / (q - 1), or the shop's mean spend per purchase day when Gamma-Gamma is not fitted."""
    if not gamma_gamma:
        return float(mean_spend)
    return float(gamma_gamma["p"] * gamma_gamma["v"] / (gamma_gamma["q"] - 1))


def expected_purchases(bgnbd: dict[str, float], frequency, recency, T, horizon: float) -> np.ndarray:
    """BG/NBD's expected purchase days in the horizon given each customer's history (lifetimes'
    conditional expectation, which needs the Gauss hypergeometric function); without BG/NBD
    the historical purchase-day rate x horizon (see predict_btyd). NaN or inf become 0."""
    frequency, T = np.asarray(frequency, float), np.asarray(T, float)
    if bgnbd:
        purchases = bgnbd_model(bgnbd).conditional_expected_number_of_purchases_up_to_time(
            horizon, frequency, np.asarray(recency, float), T
        )
    else:
        purchases = (frequency + 1) * horizon_share(T, horizon)
    return np.nan_to_num(np.asarray(purchases, float), nan=0.0, posinf=0.0)


def expected_purchases_numerator(bgnbd: dict[str, float], frequency, T, horizon: float) -> np.ndarray:
    """The part of BG/NBD's conditional expectation that needs the Gauss hypergeometric
    function, as lifetimes computes it: (a + b + x - 1) / (a - 1) x [1 - ((alpha + T) /
    (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]. It depends
    on (frequency, T) only, so the warehouse computes it once per distinct pair and divides by
    1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x) per customer
    (clv_customer_scores); equal to expected_purchases before its NaN guard."""
    frequency, T = np.asarray(frequency, float), np.asarray(T, float)
    recency = T  # makes lifetimes' denominator exactly 1 + [x > 0] a / (b + x - 1)
    with np.errstate(all="ignore"):
        full = bgnbd_model(bgnbd).conditional_expected_number_of_purchases_up_to_time(
            horizon, frequency, recency, T
        )
        ones = np.where(frequency > 0, 1 + bgnbd["a"] / (bgnbd["b"] + frequency - 1), 1.0)
    return np.asarray(full, float) * ones


def predict_btyd(
    bgnbd: dict[str, float],
    gamma_gamma: dict[str, float],
    frequency,
    recency,
    T,
    monetary,
    horizon: float,
    mean_spend: float = 0.0,
) -> pd.DataFrame:
    """Per customer: p_alive, expected purchases in the horizon, expected spend per purchase,
    and predicted revenue (= purchases x spend). Same time unit as the fit.

    Fallbacks, for parameters that could not be fitted (empty dicts): without BG/NBD, expected
    purchases are the customer's historical purchase-day rate x horizon (customers younger than
    the horizon not extrapolated, as the spend-rate baseline) and p_alive is 1 (no evidence of
    dropout); without Gamma-Gamma, spend is ``mean_spend``, the shop's mean spend per purchase day."""
    frequency = np.asarray(frequency, float)
    recency = np.asarray(recency, float)
    T = np.asarray(T, float)
    monetary = np.asarray(monetary, float)
    purchases = expected_purchases(bgnbd, frequency, recency, T, horizon)
    if bgnbd:
        p_alive = bgnbd_model(bgnbd).conditional_probability_alive(frequency, recency, T)
    else:
        p_alive = np.ones_like(frequency)
    # Gamma-Gamma's conditional mean; customers without positive repeat spend get the prior mean.
    has_spend = (frequency > 0) & (monetary > 0)
    if gamma_gamma:
        spend = np.asarray(
            gamma_gamma_model(gamma_gamma).conditional_expected_average_profit(
                np.where(has_spend, frequency, 0.0), np.where(has_spend, monetary, 0.0)
            ),
            float,
        )
    else:
        spend = np.full(frequency.shape, float(mean_spend))
    return pd.DataFrame(
        {
            "p_alive": np.clip(np.nan_to_num(np.asarray(p_alive, float), nan=0.0), 0, 1),
            "expected_purchases": np.maximum(purchases, 0.0),
            "expected_avg_order_value": spend,
            "predicted_revenue": np.maximum(purchases, 0.0) * spend,
        }
    )

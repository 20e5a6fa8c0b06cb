"""Backtest metrics for revenue predictions, and conformal prediction intervals.

All functions take per-customer arrays of actual and predicted values over one holdout window.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy.stats import spearmanr


def _gini(actual: np.ndarray, order_by: np.ndarray) -> float:
    order = np.lexsort((np.arange(len(actual)), -order_by))
    cumulative = np.cumsum(actual[order]) / actual.sum()
    return float(cumulative.sum() / len(actual) - (len(actual) + 1) / (2 * len(actual)))


def normalized_gini(actual, predicted) -> float:
    """Gini of actual value ranked by prediction over the Gini of the perfect ranking (<= 1)."""
    actual = np.asarray(actual, float)
    predicted = np.asarray(predicted, float)
    if len(actual) < 2 or actual.sum() <= 0:
        return float("nan")
    perfect = _gini(actual, actual)
    # Everyone spent the same: no ranking to judge (a tiny or uniform shop).
    return _gini(actual, predicted) / perfect if perfect > 0 else float("nan")


def decile_mape(actual, predicted) -> float:
    """Mean over prediction deciles of |sum predicted - sum actual| / sum actual."""
    frame = pd.DataFrame({"actual": actual, "predicted": predicted})
    if len(frame) < 10:
        return float("nan")
    frame["decile"] = pd.qcut(frame["predicted"].rank(method="first"), 10, labels=False)
    sums = frame.groupby("decile")[["actual", "predicted"]].sum()
    sums = sums[sums["actual"] > 0]
    return float((abs(sums["predicted"] - sums["actual"]) / sums["actual"]).mean())


def revenue_metrics(actual, predicted) -> dict[str, float]:
    """Aggregate % error, MAE, RMSE, Spearman, normalized Gini and decile MAPE."""
    actual = np.asarray(actual, float)
    predicted = np.asarray(predicted, float)
    total = actual.sum()
    spearman = (
        spearmanr(actual, predicted).statistic if np.ptp(predicted) > 0 and np.ptp(actual) > 0 else np.nan
    )
    return {
        "customers": len(actual),
        "actual_revenue": float(total),
        "predicted_revenue": float(predicted.sum()),
        "aggregate_revenue_error": float(predicted.sum() / total - 1) if total > 0 else float("nan"),
        "mae": float(np.mean(np.abs(predicted - actual))),
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
        "spearman": float(spearman),
        "normalized_gini": normalized_gini(actual, predicted),
        "decile_mape": decile_mape(actual, predicted),
    }


def aggregate_error(actual, predicted) -> float:
    """sum(predicted) / sum(actual) - 1, NaN where nothing was predicted or nothing happened."""
    actual = np.asarray(actual, float)
    predicted = np.asarray(predicted, float)
    if actual.sum() <= 0 or np.isnan(predicted).all():
        return float("nan")
    return float(predicted.sum() / actual.sum() - 1)


def interval_bins(predicted, bins: int = 5) -> np.ndarray:
    """Inner edges splitting predictions into equal-count bins, shape (<= bins - 1,)."""
    # arange / bins gives exact fractions (0.6, not linspace's 0.6000000000000001), as SQL's
    # percentile_cont receives them: an edge landing on a data point must agree.
    edges = np.quantile(np.asarray(predicted, float), np.arange(1, bins) / bins)
    return np.unique(edges)


def conformal_offsets(actual, predicted, edges: np.ndarray, coverage: float) -> pd.DataFrame:
    """Per prediction bin, residual quantiles (actual - predicted) giving ``coverage``.

    Split-conformal: the interval for a new prediction p in bin b is [p + lower_b, p + upper_b].
    """
    residual = np.asarray(actual, float) - np.asarray(predicted, float)
    bin_of = np.searchsorted(edges, np.asarray(predicted, float), side="right")
    tail = (1 - coverage) / 2
    rows = []
    for b in range(len(edges) + 1):
        r = residual[bin_of == b] if (bin_of == b).any() else residual
        rows.append(
            {"bin": b, "lower": float(np.quantile(r, tail)), "upper": float(np.quantile(r, 1 - tail))}
        )
    return pd.DataFrame(rows)


def apply_offsets(predicted, edges: np.ndarray, offsets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds (clipped at 0, and around the prediction) for predictions."""
    predicted = np.asarray(predicted, float)
    bin_of = np.searchsorted(edges, predicted, side="right")
    table = offsets.set_index("bin")
    lower = np.maximum(predicted + table["lower"].reindex(bin_of).to_numpy(), 0.0)
    upper = predicted + table["upper"].reindex(bin_of).to_numpy()
    return np.minimum(lower, predicted), np.maximum(upper, predicted)


def seeded_half(customer_ids, seed: int = 42) -> np.ndarray:
    """True for customers in the first seeded half: the md5 of "<customer_id>-<seed>" starts
    below "8", as macros/clv/sampling.sql's sample_order does in the warehouse."""
    return np.array([hashlib.md5(f"{c}-{seed}".encode()).hexdigest() < "8" for c in customer_ids], bool)


def cross_fitted_coverage(actual, predicted, coverage: float, half, bins: int = 5) -> float:
    """Honest coverage of the intervals: offsets fit on one half (``half``, boolean, e.g.
    seeded_half), measured on the other, and the other way round."""
    actual = np.asarray(actual, float)
    predicted = np.asarray(predicted, float)
    half = np.asarray(half, bool)
    hits = []
    for fit_part in (half, ~half):
        if fit_part.sum() == 0 or (~fit_part).sum() == 0:
            continue
        edges = interval_bins(predicted[fit_part], bins)
        offsets = conformal_offsets(actual[fit_part], predicted[fit_part], edges, coverage)
        lower, upper = apply_offsets(predicted[~fit_part], edges, offsets)
        hits.append((actual[~fit_part] >= lower) & (actual[~fit_part] <= upper))
    return float(np.concatenate(hits).mean()) if hits else float("nan")

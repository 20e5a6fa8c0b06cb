"""A calendar adjustment for purchase models that assume a constant purchase rate (BG/NBD).

Method: the repeat purchases of each calendar month against what the fitted BG/NBD expects for
the customers acquired by then. From the daily purchase calendar (int_purchase_calendar), over
the 365 days before the cut-off, each calendar month's index is its actual repeat purchases
over BG/NBD's unconditional expectation for every acquisition cohort
(``sum_cohorts n_a * (E[X(end - a)] - E[X(start - a)])``, customers aggregated by acquisition
day, so the cost follows days, not customers), scaled so the twelve months average 1. The
model's own dropout and the growth of the customer base are in the expectation, so what is
left is the calendar. A seed of planners' multipliers (month -> intensity, 1 = an average
month) multiplies the learned index, or stands alone when there is less than a year of
history or no BG/NBD fit.

A forecast window's factor is the mean index over its days: expected purchases in the window
are the model's times that factor, so a window holding December gets more than one holding
February, and a full year is left about unchanged.

Limits: one year of history gives each month a single observation (a promotion that ran once
looks seasonal); months with few repeat purchases are noisy (the index is clipped to
[0.2, 5]); effects shorter than a month (Black Friday week) are spread over their month.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

MIN_LEARNING_DAYS = 365
INDEX_BOUNDS = (0.2, 5.0)


def monthly_index(
    calendar: pd.DataFrame | None,
    cutoff,
    multipliers: pd.DataFrame | None = None,
    expected_repeats: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray | None, str]:
    """Purchase intensity per calendar month (array of 12, January first) as of ``cutoff``,
    with a note saying where it came from; ``(None, note)`` when there is nothing to go on.

    ``calendar``: rows of int_purchase_calendar (order_date, repeat_purchases, first_purchases,
    customers_acquired); only days on or before the cut-off are read. ``multipliers``: rows of
    the calendar_multipliers seed (month, multiplier), possibly empty. ``expected_repeats``:
    t (days since a first purchase, array) -> expected repeat purchases by then (BG/NBD's
    unconditional expectation); without it nothing is learned."""
    cutoff = pd.Timestamp(cutoff)
    index, sources = np.ones(12), []
    learned = _learned_index(calendar, cutoff, expected_repeats) if expected_repeats else None
    if learned is not None:
        index, sources = learned, ["learned from the 365 days before " + cutoff.date().isoformat()]
    if multipliers is not None and len(multipliers):
        given = np.ones(12)
        months = multipliers["month"].astype(int).to_numpy() - 1
        given[months] = multipliers["multiplier"].astype(float).to_numpy()
        index = index * given
        sources.append(f"calendar_multipliers seed ({len(multipliers)} months)")
    if not sources:
        return (
            None,
            f"no seasonality: under {MIN_LEARNING_DAYS} days of history before the cut-off and no seed",
        )
    return index, "; ".join(sources)


def _learned_index(
    calendar: pd.DataFrame | None, cutoff: pd.Timestamp, expected_repeats
) -> np.ndarray | None:
    if calendar is None or calendar.empty:
        return None
    days = calendar.assign(order_date=pd.to_datetime(calendar["order_date"]))
    days = days[days["order_date"] <= cutoff]
    if days.empty or (cutoff - days["order_date"].min()).days < MIN_LEARNING_DAYS:
        return None
    start = cutoff - pd.Timedelta(days=MIN_LEARNING_DAYS)
    # Month pieces of the window (start, cutoff], as day offsets from the window start.
    edges = pd.date_range(start, cutoff, freq="MS").union([start, cutoff + pd.Timedelta(days=1)])
    months = edges[:-1].month.to_numpy()
    in_window = days[days["order_date"] > start]
    actual = in_window.groupby(in_window["order_date"].dt.month)["repeat_purchases"].sum()
    # Cohorts: customers acquired each day, and how long each had been a customer at each edge.
    cohort_day = (days["order_date"] - start).dt.days.to_numpy(float)
    cohort_size = days["first_purchases"].to_numpy(float)
    edge_day = ((edges - start).days.to_numpy(float) - 1.0)[None, :]
    watched = np.clip(edge_day - cohort_day[:, None], 0.0, None)
    expected_at = cohort_size @ np.asarray(expected_repeats(watched.ravel()), float).reshape(watched.shape)
    expected = pd.Series(np.diff(expected_at)).groupby(months).sum()
    ratio = (actual.reindex(expected.index).fillna(0.0) / expected.where(expected > 0)).dropna()
    if ratio.empty or ratio.mean() <= 0:
        return None
    index = np.ones(12)
    index[ratio.index.to_numpy() - 1] = ratio.to_numpy() / ratio.mean()
    return np.clip(index, *INDEX_BOUNDS)


def window_factor(index: np.ndarray | None, start, horizon_days: int) -> float:
    """Mean monthly index over the days (start, start + horizon_days]; 1 without an index."""
    if index is None:
        return 1.0
    days = pd.date_range(pd.Timestamp(start) + pd.Timedelta(days=1), periods=int(horizon_days), freq="D")
    return float(np.mean(np.asarray(index)[days.month.to_numpy() - 1]))

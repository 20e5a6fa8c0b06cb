"""Time to second purchase with a Cox proportional-hazards model (lifelines).

Every customer contributes one row: duration = days from the first purchase to the second
(event) or to the snapshot (censored, a one-time buyer so far). Covariates describe only the
first purchase and acquisition, so nothing after the first purchase leaks into them. For a
one-time buyer watched for T days, P(return within h) = 1 - S(T + h | x) / S(T | x).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter

from python_utils import fit_rows
from python_utils.features import category_levels, category_values

CATEGORICAL = ("acquisition_channel", "region")
MIN_DURATION = 0.5  # days; lifelines needs positive durations (same-day snapshots give 0)


def design_matrix(frame: pd.DataFrame, levels: dict[str, list[str]] | None = None):
    """Covariates: log first purchase value and one-hot channel and region (first level dropped).

    Returns (matrix, levels); pass the training levels back in to score new rows consistently.
    """
    levels = levels or category_levels(frame, CATEGORICAL)
    columns = {"log_first_purchase_value": np.log1p(frame["first_purchase_value"].clip(lower=0).to_numpy())}
    for column in CATEGORICAL:
        values = category_values(frame, column).to_numpy()
        for level in levels[column][1:]:
            columns[f"{column}={level}"] = (values == level).astype(float)
    return pd.DataFrame(columns, index=frame.index), levels


@dataclass
class CoxFit:
    coefficients: dict[str, float]
    norm_mean: dict[str, float]
    baseline_times: list[float]  # days
    baseline_survival: list[float]
    levels: dict[str, list[str]]
    penalizer: float
    rows: int
    events: int
    seconds: float
    concordance: float

    def to_dict(self) -> dict:
        """The fit, without its timing: stored parameters (and model versions hashed from them)
        are the same for the same data."""
        return {k: v for k, v in self.__dict__.items() if k != "seconds"}

    @classmethod
    def from_dict(cls, values: dict) -> CoxFit:
        return cls(**({"seconds": 0.0} | values))

    def to_row(self, **extra: float) -> dict:
        """Its clv_model_fits row (``extra``: more parameters stored beside the fit)."""
        return fit_rows.model_row("cox", self.to_dict() | extra, self.rows, self.seconds,
                                  penalizer=self.penalizer, note=f"concordance {self.concordance:.3f}")  # fmt: skip

    @classmethod
    def from_row(cls, row) -> CoxFit:
        stored = fit_rows.parameters(row) | {"seconds": float(row["fit_seconds"])}
        return cls(**{name: stored[name] for name in cls.__dataclass_fields__})


def fit_cox(
    frame: pd.DataFrame, sample_size: int = 50_000, penalizer: float = 0.01, seed: int = 42
) -> CoxFit:
    """Fit time to second purchase on a snapshot frame (one row per customer).

    Needs columns frequency, t_days, days_to_second_purchase, first_purchase_value,
    acquisition_channel, region. A seeded sample bounds the fit time on large data.
    """
    started = time.perf_counter()
    if len(frame) > sample_size:
        frame = frame.sample(sample_size, random_state=seed)
    event = (frame["frequency"] > 0).to_numpy()
    duration = np.where(event, frame["days_to_second_purchase"], frame["t_days"]).astype(float)
    covariates, levels = design_matrix(frame)
    covariates = covariates.loc[:, covariates.std() > 0]  # constant columns break the fit
    data = covariates.assign(duration=np.maximum(duration, MIN_DURATION), event=event.astype(int))
    model = CoxPHFitter(penalizer=penalizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, duration_col="duration", event_col="event")
    baseline = model.baseline_survival_.iloc[:, 0]
    return CoxFit(
        coefficients={k: float(v) for k, v in model.params_.items()},
        norm_mean={k: float(v) for k, v in model._norm_mean.items()},
        baseline_times=[float(t) for t in baseline.index],
        baseline_survival=[float(s) for s in baseline.to_numpy()],
        levels=levels,
        penalizer=penalizer,
        rows=len(data),
        events=int(event.sum()),
        seconds=time.perf_counter() - started,
        concordance=float(model.concordance_index_),
    )


def _baseline_at(fit: CoxFit, days: np.ndarray) -> np.ndarray:
    """S0(t): the step function lifelines estimated, 1 before the first event time."""
    times = np.asarray(fit.baseline_times)
    survival = np.asarray(fit.baseline_survival)
    index = np.searchsorted(times, days, side="right") - 1
    return np.where(index >= 0, survival[np.clip(index, 0, None)], 1.0)


def probability_of_return(fit: CoxFit, frame: pd.DataFrame, horizon_days: float) -> np.ndarray:
    """P(second purchase within horizon_days | none in the t_days watched so far), shape (n,).

    Uses the partial hazard exp((x - mean) . beta) as lifelines does; beyond the longest
    observed duration the baseline is flat, so the probability there is a lower bound.
    """
    covariates, _ = design_matrix(frame, fit.levels)
    names = list(fit.coefficients)
    x = covariates.reindex(columns=names, fill_value=0.0).to_numpy()
    centred = x - np.array([fit.norm_mean[n] for n in names])
    hazard = np.exp(centred @ np.array([fit.coefficients[n] for n in names]))
    t = np.maximum(frame["t_days"].to_numpy(float), MIN_DURATION)
    now = _baseline_at(fit, t) ** hazard
    later = _baseline_at(fit, t + horizon_days) ** hazard
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(now > 0, 1.0 - later / now, 0.0)
    return np.clip(np.nan_to_num(p, nan=0.0), 0.0, 1.0)

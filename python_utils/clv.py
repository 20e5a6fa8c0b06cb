"""CLV runtime: the fits and scores the Python models of models/ml/clv compute; the rest of the
arithmetic (P(alive), spend, returns, baselines, blends, metrics, choice, intervals, tiers) is
SQL. python_utils.reference.clv holds the same arithmetic in pandas, the oracle the tests compare
the SQL with.

Frames are int_customer_snapshots rows (one per customer) of one snapshot: features at the
snapshot date and, where complete, ``target_revenue`` / ``target_purchases`` in the horizon after
it. Times in days, money in US dollars (net of returns).

- repeat buyers (frequency > 0) and one-time buyers are scored by every model that applies;
- ``btyd`` = BG/NBD purchases x Gamma-Gamma spend x (1 - return rate); ``*_seasonal`` models
  reshape btyd, XGBoost and their blend by the calendar (python_utils.seasonality: the window's
  factor, over the factor of the window XGBoost learned from); ``btyd_own_spend`` uses a repeat
  buyer's own mean spend once it has clv_own_spend_min_frequency repeat purchase days;
  ``btyd_corrected`` scales btyd by the ratio of actual to predicted revenue that its refit
  one window earlier had (per group, clipped to [0.5, 2]);
  ``cox`` = P(second purchase in horizon) x purchases per returning customer x prior spend
  (one-time buyers only); ``xgboost`` = regression trained on the snapshot before;
  ``cold_start`` = the same for customers in their first cold_start_days (group ``new``),
  trained on the snapshot before's customers then as young, depth and rounds tuned; blends
  average two of them;
- naive baselines: revenue of the last horizon repeated, and the historical spend rate x
  horizon. They are candidates too: when one wins the backtest it is published, and said so.

Fallbacks (degenerate shops): BG/NBD that cannot be fitted gives the spend-rate purchases and
p_alive 1; Gamma-Gamma that cannot be fitted gives the shop's mean spend per purchase day;
Cox and XGBoost that cannot be fitted are left out with a note. Without an honest backtest the
default model (btyd, with its fallbacks) is published as not_backtestable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from python_utils import btyd, fit_rows, regression, seasonality, survival

GROUPS = ("repeat", "one_time", "new")


def customer_group(frequency, t_days=None, cold_start_days: int | None = None) -> np.ndarray:
    """new: first purchase fewer than cold_start_days before the snapshot; else repeat
    (frequency > 0) or one_time."""
    group = np.where(np.asarray(frequency) > 0, "repeat", "one_time")
    if cold_start_days is None:
        return group
    return np.where(np.asarray(t_days, float) < cold_start_days, "new", group)


def snapshot_date(frame: pd.DataFrame):
    """The date a frame's features are taken at (snapshot_date, or as_of_date for customer_rfm)."""
    column = "snapshot_date" if "snapshot_date" in frame else "as_of_date"
    return pd.Timestamp(frame[column].max()) if len(frame) and column in frame else None


def purchase_spend(frame: pd.DataFrame) -> np.ndarray:
    """Each customer's purchase spend before returns (net revenue + returned), US dollars, >= 0."""
    returned = frame["returned_amount"].fillna(0).to_numpy(float) if "returned_amount" in frame else 0.0
    return (frame["total_net_revenue"].to_numpy(float) + np.clip(returned, 0, None)).clip(min=0)


def mean_spend(frame: pd.DataFrame) -> float:
    """The shop's mean purchase spend per purchase day (before returns), US dollars."""
    days = (frame["frequency"].to_numpy(float) + 1).sum()
    return float(purchase_spend(frame).sum() / days) if days > 0 else 0.0


@dataclass
class FittedModels:
    bgnbd: btyd.FitResult  # converged False: not fitted, predictions fall back
    gamma_gamma: btyd.FitResult
    cox: survival.CoxFit | None
    xgboost: regression.XgbFit | None
    purchases_given_return: float
    mean_spend: float = 0.0
    seasonal_index: list[float] | None = None
    seasonal_note: str = ""
    notes: list[str] = field(default_factory=list)
    cold_start: regression.XgbFit | None = None  # XGBoost of the earlier snapshot's new customers

    def to_table(self, scoring_factors: dict | None = None) -> pd.DataFrame:
        """One row per fitted model (fit_rows.COLUMNS), each written by the fit itself;
        ``scoring_factors`` (seasonal factors the warehouse applies) join the calendar's row."""
        season = {"monthly_index": self.seasonal_index} | (scoring_factors or {})
        rows = [
            self.bgnbd.to_row("bgnbd"),
            self.gamma_gamma.to_row("gamma_gamma", mean_spend=self.mean_spend),
            fit_rows.model_row("seasonality", season, 0, 0.0, converged=self.seasonal_index is not None,
                               note=self.seasonal_note),
        ]  # fmt: skip
        if self.cox is not None:
            rows.append(self.cox.to_row(purchases_given_return=self.purchases_given_return))
        rows += [fit.to_row() for fit in (self.xgboost, self.cold_start) if fit is not None]
        table = pd.DataFrame(rows, columns=list(fit_rows.COLUMNS))
        table["notes"] = "; ".join(self.notes)
        return table

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> FittedModels:
        rows = {row["model_name"]: row for _, row in table.iterrows()}
        cox, season = rows.get("cox"), rows.get("seasonality")
        return cls(
            bgnbd=btyd.FitResult.from_row(rows["bgnbd"], btyd.BGNBD_PARAMETERS),
            gamma_gamma=btyd.FitResult.from_row(rows["gamma_gamma"], btyd.GAMMA_GAMMA_PARAMETERS),
            cox=survival.CoxFit.from_row(cox) if cox is not None else None,
            xgboost=regression.XgbFit.from_row(rows["xgboost"]) if "xgboost" in rows else None,
            purchases_given_return=fit_rows.parameters(cox)["purchases_given_return"]
            if cox is not None
            else 1.0,
            mean_spend=fit_rows.parameters(rows["gamma_gamma"]).get("mean_spend", 0.0),
            seasonal_index=fit_rows.parameters(season)["monthly_index"] if season is not None else None,
            seasonal_note=season["note"] if season is not None else "",
            cold_start=regression.XgbFit.from_row(rows["cold_start"]) if "cold_start" in rows else None,
        )


# --- Warehouse scale: fits from what the warehouse summarised, scores in bounded batches ----
#
# The warehouse hands Python three small things per snapshot (scoring = customer_rfm at
# as_of_date, calibration and training one and two backtest horizons earlier): the weighted
# distinct BTYD rows, a seeded sample of customers, and a one-row summary. fit_snapshot fits
# from those; batch_scores computes, for one batch of customers, the quantities without a closed
# form in SQL (BG/NBD's conditional expectation, Cox's step-function baseline, XGBoost's trees).
# Everything else (P(alive), Gamma-Gamma spend, returns, seasonal factors, baselines, blends,
# metrics, choice, intervals, tiers) is SQL: models/ml/clv and models/marts/clv, checked against
# python_utils.reference.clv.

EARLIER_SNAPSHOT = {"scoring": "calibration", "calibration": "training"}  # XGBoost's training rows


@dataclass(frozen=True)
class SnapshotSummary:
    """One row of clv_snapshot_summary: what a snapshot's fits need besides rows."""

    snapshot_name: str
    snapshot_date: object
    horizon_days: int
    customers: int
    mean_spend: float
    purchases_given_return: float  # the earlier snapshot's returning one-time buyers' mean purchases


def fit_snapshot_btyd(summary: SnapshotSummary, bgnbd_rows, gamma_gamma_rows) -> FittedModels:
    """BG/NBD and Gamma-Gamma of one snapshot from its weighted rows in clv_btyd_fit_rows
    (weighted_rows: in numpy or in the warehouse), with their fallbacks; nothing else fitted yet."""
    customers = int(summary.customers)
    try:
        bgnbd = btyd.fit_bgnbd_rows(bgnbd_rows)
    except RuntimeError as error:
        bgnbd = btyd.not_fitted("BG/NBD", error, customers)
    try:
        gamma_gamma = btyd.fit_gamma_gamma_rows(gamma_gamma_rows)
    except RuntimeError as error:
        gamma_gamma = btyd.not_fitted("Gamma-Gamma", error, customers)
    notes = [fit.note for fit in (bgnbd, gamma_gamma) if not fit.converged]
    return FittedModels(bgnbd, gamma_gamma, None, None, 1.0, float(summary.mean_spend), notes=notes)


def fit_snapshot(
    summary: SnapshotSummary,
    fitted: FittedModels,
    cox_rows: pd.DataFrame,
    xgboost_rows: pd.DataFrame | None,
    calendar: pd.DataFrame | None = None,
    multipliers: pd.DataFrame | None = None,
    seed: int = 42,
    cold_start_days: int = 30,
) -> FittedModels:
    """The rest of a snapshot's models, as fit_models fits them, beside its BTYD fits
    (fit_snapshot_btyd): Cox on ``cox_rows`` (the snapshot's seeded sample), XGBoost on
    ``xgboost_rows`` (the earlier snapshot's seeded sample with targets; None: not fitted), the
    cold-start XGBoost on those of them younger than ``cold_start_days`` (earlier cohorts at
    the same age) and the calendar index."""
    notes = fitted.notes
    try:
        fitted.cox = survival.fit_cox(cox_rows, sample_size=max(len(cox_rows), 1), seed=seed)
    except Exception as error:  # e.g. no repeat buyers yet: no events to fit
        notes.append(f"cox not fitted: {error}")
    if xgboost_rows is not None and len(xgboost_rows):
        fitted.purchases_given_return = float(summary.purchases_given_return)
        try:
            fitted.xgboost = regression.fit_xgboost(xgboost_rows, seed=seed, sample_size=len(xgboost_rows))
        except Exception as error:
            notes.append(f"xgboost not fitted: {error}")
        try:
            fitted.cold_start = regression.fit_xgboost(
                xgboost_rows, seed=seed, sample_size=len(xgboost_rows), max_age_days=cold_start_days
            )
        except Exception as error:
            notes.append(f"cold_start not fitted: {error}")
    else:
        notes.append("xgboost and cold_start not fitted: no earlier snapshot with a complete horizon")
    bgnbd = fitted.bgnbd
    expected = (
        btyd.bgnbd_model(bgnbd.params).expected_number_of_purchases_up_to_time if bgnbd.converged else None
    )
    index, fitted.seasonal_note = seasonality.monthly_index(
        calendar, pd.Timestamp(summary.snapshot_date), multipliers, expected
    )
    fitted.seasonal_index = None if index is None else [float(v) for v in index]
    return fitted


def scoring_factors(fitted: FittedModels, snapshot_date, horizon_days: int) -> dict[str, float | None]:
    """The seasonal factors SQL applies: the scored window's (btyd_seasonal) and that over the
    factor of the window XGBoost learned from, one horizon earlier (xgboost_seasonal); None
    without a calendar index (no seasonal candidates)."""
    if fitted.seasonal_index is None:
        return {"window_factor": None, "xgboost_factor": None}
    start = pd.Timestamp(snapshot_date)
    factor = seasonality.window_factor(fitted.seasonal_index, start, horizon_days)
    learned = seasonality.window_factor(
        fitted.seasonal_index, start - pd.Timedelta(days=horizon_days), horizon_days
    )
    return {"window_factor": factor, "xgboost_factor": factor / learned}


def fit_snapshots(
    summary: pd.DataFrame,
    btyd_fits: pd.DataFrame,
    sample: pd.DataFrame,
    calendar: pd.DataFrame | None,
    multipliers: pd.DataFrame | None,
    horizon_days: int,
    random_seed: int,
    cox_sample_size: int,
    xgboost_sample_size: int,
    cold_start_days: int = 30,
) -> pd.DataFrame:
    """clv_model_fits without its version columns: every snapshot of clv_snapshot_summary (one
    row each) fitted beside its BTYD fits (clv_btyd_fits): Cox on the first cox_sample_size of
    its seeded sample (clv_fit_sample), XGBoost on the first xgboost_sample_size of the earlier
    snapshot's, the calendar index; the training snapshot only refits BTYD. One row per
    (snapshot_name, model_name), fit_rows.COLUMNS after snapshot_name."""
    # XGBoost learns next-horizon revenue: a shortened backtest window's targets cover a
    # shorter horizon than the one published, so the published fit then has none.
    full_window = bool((summary["horizon_days"] == horizon_days).all())
    tables = []
    for row in summary[list(SnapshotSummary.__dataclass_fields__)].to_dict("records"):
        snapshot = SnapshotSummary(**row)
        name = snapshot.snapshot_name
        fitted = FittedModels.from_table(btyd_fits[btyd_fits["snapshot_name"] == name])
        fitted.notes = [n for n in btyd_fits.loc[btyd_fits["snapshot_name"] == name, "notes"].iloc[:1] if n]
        if name != "training":
            earlier = sample[
                (sample["snapshot_name"] == EARLIER_SNAPSHOT[name])
                & (sample["sample_rank"] <= xgboost_sample_size)
                & sample["target_revenue"].notna()
            ]
            fitted = fit_snapshot(
                snapshot,
                fitted,
                cox_rows=sample[
                    (sample["snapshot_name"] == name) & (sample["sample_rank"] <= cox_sample_size)
                ].reset_index(drop=True),
                xgboost_rows=earlier.reset_index(drop=True) if name != "scoring" or full_window else None,
                calendar=calendar,
                multipliers=multipliers,
                seed=random_seed,
                cold_start_days=cold_start_days,
            )
        table = fitted.to_table(scoring_factors(fitted, snapshot.snapshot_date, snapshot.horizon_days))
        if name == "training":
            table = table[table["model_name"].isin(["bgnbd", "gamma_gamma"])]
        tables.append(table.assign(snapshot_name=name))
    table = pd.concat(tables, ignore_index=True)
    return table[["snapshot_name", *[c for c in table.columns if c != "snapshot_name"]]]


BATCH_SCORE_COLUMNS = (
    "snapshot_name", "customer_id", "p_return_within_horizon", "revenue_xgboost", "revenue_cold_start"
)  # fmt: skip


def batch_scores(fitted: FittedModels, frame: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """For one batch of one snapshot's customers: Cox P(second purchase within the horizon) for
    one-time buyers, XGBoost revenue and the cold-start model's for new customers (NaN where
    the model is not fitted or does not apply), exactly as score_models computes them."""
    out = pd.DataFrame(
        {"snapshot_name": frame["snapshot_name"].to_numpy(), "customer_id": frame["customer_id"].to_numpy()}
    )
    one_time = frame["frequency"].to_numpy() == 0
    out["p_return_within_horizon"] = (
        np.where(one_time, survival.probability_of_return(fitted.cox, frame, horizon_days), np.nan)
        if fitted.cox is not None
        else np.nan
    )
    out["revenue_xgboost"] = (
        regression.predict_xgboost(fitted.xgboost, frame) if fitted.xgboost is not None else np.nan
    )
    out["revenue_cold_start"] = (
        regression.predict_xgboost(fitted.cold_start, frame) if fitted.cold_start is not None else np.nan
    )
    # float64 out: XGBoost predicts float32, which the adapters would convert differently
    return out.reindex(columns=list(BATCH_SCORE_COLUMNS)).astype(
        {"p_return_within_horizon": float, "revenue_xgboost": float, "revenue_cold_start": float}
    )


def bgnbd_terms(fitted: FittedModels, pairs: pd.DataFrame) -> pd.DataFrame:
    """BG/NBD's hypergeometric term per distinct (frequency, t_days) of a snapshot (pairs:
    frequency, t_days, horizon_days), NaN without a BG/NBD fit: see
    btyd.expected_purchases_numerator."""
    out = pairs[["snapshot_name", "frequency", "t_days"]].copy()
    if not fitted.bgnbd.converged or pairs.empty:
        out["purchases_numerator"] = np.nan
        return out
    numerator = btyd.expected_purchases_numerator(
        fitted.bgnbd.params, pairs["frequency"], pairs["t_days"], float(pairs["horizon_days"].iloc[0])
    )
    # NaN or inf (lifetimes' hypergeometric failing) is stored as missing: 0 purchases, as expected_purchases
    out["purchases_numerator"] = np.where(np.isfinite(numerator), numerator, np.nan)
    return out

"""XGBoost regressor of next-horizon revenue on behavioural features, trained without leakage.

Training rows are customers at an earlier snapshot (features at snapshot s, target = revenue in
(s, s + horizon]); the fitted model is then applied to features at a later snapshot. The target
never enters the features, and the features never see data after their snapshot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb

from python_utils import fit_rows
from python_utils.features import category_levels, category_values

NUMERIC_FEATURES = (
    "frequency",
    "recency_days",
    "t_days",
    "days_since_last_order",
    "order_count",
    "total_net_revenue",
    "monetary_value",
    "avg_order_value",
    "discount_share",
    "first_purchase_value",
    "revenue_last_horizon",
    "purchases_last_horizon",
    "return_share",  # share of spend returned so far: revenue is net of returns
)
CATEGORICAL_FEATURES = ("acquisition_channel", "region")
PARAMS = {
    # Tweedie suits revenue: many exact zeros and a long right tail.
    "objective": "reg:tweedie",
    "tweedie_variance_power": 1.5,
    "tree_method": "hist",
    "max_depth": 4,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5,
    "nthread": 2,
}
ROUNDS = 300


def feature_matrix(frame: pd.DataFrame, levels: dict[str, list[str]] | None = None):
    """Numeric features plus integer-coded categoricals; unseen levels code to -1."""
    levels = levels or category_levels(frame, CATEGORICAL_FEATURES)
    matrix = frame[list(NUMERIC_FEATURES)].astype(float).copy()
    for column in CATEGORICAL_FEATURES:
        codes = {level: i for i, level in enumerate(levels[column])}
        matrix[column] = category_values(frame, column).map(codes).fillna(-1).astype(float)
    return matrix, levels


@dataclass
class XgbFit:
    model_json: str
    levels: dict[str, list[str]]
    rows: int
    seconds: float
    seed: int
    _booster: xgb.Booster | None = field(default=None, repr=False, compare=False)

    def booster(self) -> xgb.Booster:
        """The trained booster, loaded once (scoring calls this per batch)."""
        if self._booster is None:
            self._booster = xgb.Booster()
            self._booster.load_model(bytearray(self.model_json, "utf-8"))
        return self._booster

    def to_row(self) -> dict:
        """Its clv_model_fits row."""
        stored = {"model_json": self.model_json, "levels": self.levels, "seed": self.seed}
        return fit_rows.model_row("xgboost", stored, self.rows, self.seconds)

    @classmethod
    def from_row(cls, row) -> XgbFit:
        stored = fit_rows.parameters(row)
        return cls(
            stored["model_json"],
            stored["levels"],
            int(row["rows_used"]),
            float(row["fit_seconds"]),
            stored["seed"],
        )


def fit_xgboost(train: pd.DataFrame, seed: int = 42, sample_size: int = 100_000) -> XgbFit:
    """Fit on rows with a complete target (``target_revenue``, US dollars); at most a seeded
    sample of ``sample_size`` rows, which bounds fit time on large data."""
    started = time.perf_counter()
    train = train[train["target_revenue"].notna()]
    if len(train) > sample_size:
        train = train.sample(sample_size, random_state=seed)
    if len(train) < 50:
        raise RuntimeError(f"XGBoost needs at least 50 training customers with a target; found {len(train)}")
    matrix, levels = feature_matrix(train)
    data = xgb.DMatrix(matrix, label=train["target_revenue"].clip(lower=0).to_numpy(float))
    booster = xgb.train({**PARAMS, "seed": seed}, data, num_boost_round=ROUNDS)
    model_json = booster.save_raw(raw_format="json").decode("utf-8")
    return XgbFit(model_json, levels, len(train), time.perf_counter() - started, seed)


def predict_xgboost(fit: XgbFit, frame: pd.DataFrame) -> np.ndarray:
    """Predicted revenue in the horizon after the frame's snapshot, US dollars, shape (n,)."""
    matrix, _ = feature_matrix(frame, fit.levels)
    # inplace_predict: the same trees and numbers as predict(DMatrix(...)), without the copy
    return np.maximum(fit.booster().inplace_predict(matrix.to_numpy(np.float32)), 0.0)

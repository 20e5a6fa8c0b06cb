"""K-Means customer segmentation: features, choice of k, stable ids and names from profiles.

Shapes: a customer frame has one row per customer; feature matrices are (n_customers, n_features),
log-transformed where skewed and standardised. K-Means is fit on a seeded sample and every
customer is then assigned to its nearest centroid, so cost grows linearly with customers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_samples

from python_utils.versioning import model_version

# Which feature plays which role in the naming rules.
RECENCY = "days_since_last_order"
FREQUENCY = "frequency"
MONETARY = ("total_net_revenue", "monetary_value", "avg_order_value")
DISCOUNT = "discount_share"
TENURE = "t_days"
# Profiles used for naming, whatever features the clustering used.
PROFILE_COLUMNS = (RECENCY, FREQUENCY, "total_net_revenue", "avg_order_value", DISCOUNT, TENURE)
SKEW_LIMIT = 1.0  # |skewness| above which a non-negative feature is log1p-transformed
NAME_THRESHOLD = 0.5  # standard deviations a centroid must stand out by to earn a name


@dataclass
class FeatureMatrix:
    values: np.ndarray  # (n_customers, n_features), standardised
    features: list[str]
    log_transformed: list[str]
    notes: list[str] = field(default_factory=list)


def prepare_features(customers: pd.DataFrame, features: Sequence[str]) -> FeatureMatrix:
    """Select, log-transform skewed and standardise features; drop missing or constant ones."""
    notes, used, logged, columns = [], [], [], []
    for name in features:
        if name not in customers.columns:
            notes.append(f"feature {name} not in the data: dropped")
            continue
        column = customers[name].astype(float).fillna(0.0).to_numpy()
        if np.nanstd(column) == 0:
            notes.append(f"feature {name} is constant: dropped")
            continue
        if column.min() >= 0 and abs(pd.Series(column).skew()) > SKEW_LIMIT:
            column = np.log1p(column)
            logged.append(name)
        columns.append((column - column.mean()) / column.std())
        used.append(name)
    values = np.column_stack(columns) if columns else np.empty((len(customers), 0))
    return FeatureMatrix(values=values, features=used, log_transformed=logged, notes=notes)


@dataclass
class KChoice:
    chosen_k: int
    elbow_k: int | None
    curve: pd.DataFrame  # one row per k tried: k, inertia, silhouette
    rows_used: int
    reason: str


def _sample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size, replace=False)) if n > size else np.arange(n)


def elbow_point(ks: Sequence[int], inertias: Sequence[float]) -> int | None:
    """The k farthest below the straight line from the first to the last point of the curve."""
    if len(ks) < 3:
        return None
    x = np.asarray(ks, float)
    y = np.asarray(inertias, float)
    x_n = (x - x[0]) / (x[-1] - x[0])
    y_n = (y - y[-1]) / (y[0] - y[-1]) if y[0] != y[-1] else np.zeros_like(y)
    return int(x[np.argmax((1 - x_n) - y_n)])


def choose_k(
    matrix: FeatureMatrix,
    k_min: int = 3,
    k_max: int = 8,
    sample_size: int = 20_000,
    silhouette_size: int = 5_000,
    seed: int = 42,
) -> KChoice:
    """Try k in [k_min, k_max] and keep the best silhouette; record inertia (elbow) per k.

    Fewer distinct customers than k, or no usable feature, narrows the range; with fewer than
    two distinct points the answer is one segment, with the reason.
    """
    rng = np.random.default_rng(seed)
    values = matrix.values
    empty = pd.DataFrame({"k": [1], "inertia": [np.nan], "silhouette": [np.nan], "fit_seconds": [0.0]})
    if values.shape[1] == 0:
        return KChoice(1, None, empty, len(values), "no usable feature: one segment")
    distinct = len(np.unique(values, axis=0))
    upper = min(k_max, distinct - 1)
    if upper < 2:
        return KChoice(1, None, empty, len(values), f"{distinct} distinct customer(s): one segment")
    lower = min(max(2, k_min), upper)
    reason = "best silhouette"
    if upper < k_max or lower != k_min:
        reason += f" (k range narrowed to {lower}..{upper}: {distinct} distinct customers)"
    fit_rows = values[_sample(len(values), sample_size, rng)]
    score_rows = _sample(len(fit_rows), silhouette_size, rng)
    rows = []
    for k in range(lower, upper + 1):
        started = time.perf_counter()
        model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(fit_rows)
        labels = model.labels_[score_rows]
        silhouette = (
            float(silhouette_samples(fit_rows[score_rows], labels).mean())
            if len(np.unique(labels)) > 1
            else float("nan")
        )
        seconds = time.perf_counter() - started
        rows.append(
            {"k": k, "inertia": float(model.inertia_), "silhouette": silhouette, "fit_seconds": seconds}
        )
    curve = pd.DataFrame(rows)
    chosen = int(curve.loc[curve["silhouette"].fillna(-1).idxmax(), "k"])
    return KChoice(chosen, elbow_point(curve["k"], curve["inertia"]), curve, len(fit_rows), reason)


@dataclass
class Segmentation:
    segment_id: np.ndarray  # (n_customers,) 1..k, 1 = highest mean monetary value
    distance: np.ndarray  # (n_customers,) distance to the centroid, standardised units
    silhouette: np.ndarray  # (n_customers,) silhouette of sampled customers, NaN elsewhere
    k: int
    fit_seconds: float


def fit_segments(
    matrix: FeatureMatrix,
    k: int,
    order_by: np.ndarray,
    sample_size: int = 20_000,
    silhouette_size: int = 5_000,
    seed: int = 42,
) -> Segmentation:
    """Fit K-Means with k clusters on a seeded sample and assign every customer.

    Segment ids are ordered by the mean of ``order_by`` (e.g. total revenue), descending, so
    they do not depend on K-Means' arbitrary labels.
    """
    started = time.perf_counter()
    n = len(matrix.values)
    if k <= 1 or matrix.values.shape[1] == 0:
        return Segmentation(np.ones(n, int), np.zeros(n), np.full(n, np.nan), 1, 0.0)
    rng = np.random.default_rng(seed)
    fit_index = _sample(n, sample_size, rng)
    model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(matrix.values[fit_index])
    labels = model.predict(matrix.values)
    distance = np.linalg.norm(matrix.values - model.cluster_centers_[labels], axis=1)
    means = pd.Series(order_by).groupby(labels).mean().sort_values(ascending=False)
    segment_of_label = np.zeros(k, int)
    segment_of_label[means.index.to_numpy()] = np.arange(1, len(means) + 1)
    segment_id = segment_of_label[labels]
    silhouette = np.full(n, np.nan)
    scored = _sample(n, silhouette_size, rng)
    if len(np.unique(labels[scored])) > 1:
        silhouette[scored] = silhouette_samples(matrix.values[scored], labels[scored])
    return Segmentation(segment_id, distance, silhouette, k, time.perf_counter() - started)


def name_segments(profiles: pd.DataFrame) -> dict[int, str]:
    """Names for segments from their centroid profiles, unique per run.

    ``profiles``: one row per segment_id, columns = features as z-scores of the segment mean
    against all customers (positive = above average). Rules, in order, each name used once:
    High-Value (highest monetary, > 0.5 sd), Price-Sensitive (highest discount share, > 0.5 sd),
    Loyal (highest frequency above average, bought recently), At-Risk (frequency above
    average but lapsed), New (most recent, frequency and tenure below average), Hibernating
    (most lapsed); the rest Occasional, Occasional 2...
    """
    if len(profiles) == 1:
        return {int(profiles.index[0]): "Single Segment"}
    remaining = list(profiles.index)
    names: dict[int, str] = {}
    monetary = next((m for m in MONETARY if m in profiles.columns), None)

    def col(name: str | None) -> pd.Series:
        if name is None or name not in profiles.columns:
            return pd.Series(0.0, index=profiles.index)
        return profiles[name]

    recency, frequency, discount, tenure = col(RECENCY), col(FREQUENCY), col(DISCOUNT), col(TENURE)

    def take(name: str, score: pd.Series, eligible: pd.Series) -> None:
        pool = [s for s in remaining if eligible.get(s, False)]
        if pool:
            best = max(pool, key=lambda s: (score[s], -s))
            names[int(best)] = name
            remaining.remove(best)

    if monetary is not None:
        take("High-Value", col(monetary), col(monetary) > NAME_THRESHOLD)
    if DISCOUNT in profiles.columns:
        take("Price-Sensitive", discount, discount > NAME_THRESHOLD)
    if FREQUENCY in profiles.columns:
        take("Loyal", frequency, (frequency > 0) & (recency <= 0))
        take("At-Risk", frequency + col(monetary), (frequency > 0) & (recency > 0))
    if RECENCY in profiles.columns:
        take("New", -recency, (recency < 0) & (frequency <= 0) & (tenure <= 0))
        take("Hibernating", recency, recency > 0)
    for i, segment in enumerate(sorted(remaining)):
        names[int(segment)] = "Occasional" if i == 0 else f"Occasional {i + 1}"
    return names


def segment_profiles(customers: pd.DataFrame, segment_id: np.ndarray) -> pd.DataFrame:
    """Per segment, the mean of each profile column, transformed and standardised as features
    are (a z-score against all customers): the input of name_segments."""
    matrix = prepare_features(customers, [c for c in PROFILE_COLUMNS if c in customers.columns])
    frame = pd.DataFrame(matrix.values, columns=matrix.features)
    return frame.groupby(segment_id).mean()


def metrics_table(choice: KChoice, matrix: FeatureMatrix) -> pd.DataFrame:
    """segmentation_metrics: one row per k tried, the chosen one flagged, with the settings."""
    table = choice.curve.copy()
    table["k"] = table["k"].astype(int)
    table["is_chosen"] = table["k"] == choice.chosen_k
    table["is_elbow"] = table["k"] == (choice.elbow_k or -1)
    table["features_used"] = ",".join(matrix.features)
    table["log_transformed"] = ",".join(matrix.log_transformed)
    table["rows_used"] = choice.rows_used
    table["customers"] = len(matrix.values)
    table["reason"] = choice.reason
    table["notes"] = "; ".join(matrix.notes)
    return table


def segment_customers(
    customers: pd.DataFrame,
    features: Sequence[str],
    chosen_k: int,
    actions: pd.DataFrame,
    sample_size: int = 20_000,
    silhouette_size: int = 5_000,
    seed: int = 42,
) -> pd.DataFrame:
    """customer_segments: one row per customer with segment id, name, action and distances.

    ``customers`` is customer_rfm; ``actions`` is the segment_actions seed (segment_name,
    recommended_action). Names with a suffix (Occasional 2) take the action of their base name.
    """
    matrix = prepare_features(customers, features)
    fitted = fit_segments(
        matrix,
        chosen_k,
        customers["total_net_revenue"].to_numpy(),
        sample_size=sample_size,
        silhouette_size=silhouette_size,
        seed=seed,
    )
    names = name_segments(segment_profiles(customers, fitted.segment_id))
    segment_name = pd.Series(fitted.segment_id).map(names)
    base_name = segment_name.str.replace(r" \d+$", "", regex=True)
    action = base_name.map(actions.set_index("segment_name")["recommended_action"])
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "segment_id": fitted.segment_id.astype(int),
            "segment_name": segment_name.to_numpy(),
            "recommended_action": action.to_numpy(),
            "recency_days": customers["recency_days"].to_numpy(),
            "days_since_last_order": customers["days_since_last_order"].to_numpy(),
            "frequency": customers["frequency"].to_numpy(),
            "monetary": customers["total_net_revenue"].to_numpy(),
            "avg_order_value": customers["avg_order_value"].to_numpy(),
            "discount_share": customers["discount_share"].to_numpy(),
            "distance_to_centroid": fitted.distance,
            "silhouette": fitted.silhouette,
            "as_of_date": customers["as_of_date"].to_numpy(),
            "model_version": model_version(
                features=matrix.features, k=fitted.k, seed=seed, customers=len(customers)
            ),
            "scored_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
        }
    )

"""K-Means customer segmentation: features, choice of k, stable ids and names from profiles.

Shapes: a customer frame has one row per customer; feature matrices are (n_customers, n_features),
log-transformed where skewed and standardised. Everything here runs on the seeded sample the
warehouse draws (segmentation_sample); the fitted centroids and feature scaling go back as a
table and the warehouse assigns every customer to its nearest centroid (segmentation_assignments;
its oracle is python_utils.reference.segmentation), so Python's cost does not grow with the
customer count.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances, silhouette_samples

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


def elbow_point(ks: Sequence[int], inertias: Sequence[float]) -> int | None:
    """The k farthest below the straight line from the first to the last point of the curve."""
    if len(ks) < 3:
        return None
    x = np.asarray(ks, float)
    y = np.asarray(inertias, float)
    x_n = (x - x[0]) / (x[-1] - x[0])
    y_n = (y - y[-1]) / (y[0] - y[-1]) if y[0] != y[-1] else np.zeros_like(y)
    return int(x[np.argmax((1 - x_n) - y_n)])


def shared_distances(values: np.ndarray) -> np.ndarray | None:
    """The (n, n) Euclidean distances between the silhouette customers, computed once for every
    k tried (only the labels change between them), or None where the matrix would not fit in
    scikit-learn's working_memory: there silhouette_samples computes it chunk by chunk, per k.
    Within that bound silhouette_samples builds the same matrix itself in one chunk, so this
    holds no more memory than before and gives the same silhouettes bit for bit."""
    if len(values) ** 2 * values.itemsize > sklearn.get_config()["working_memory"] * 2**20:
        return None
    return pairwise_distances(values)


def choose_k(
    matrix: FeatureMatrix,
    k_min: int = 3,
    k_max: int = 8,
    silhouette_rows: np.ndarray | None = None,
    seed: int = 42,
) -> KChoice:
    """Try k in [k_min, k_max] on the whole matrix (the seeded sample the warehouse drew) and
    keep the best silhouette, scored on ``silhouette_rows`` (boolean mask; all rows if None);
    record inertia (elbow) per k.

    Fewer distinct customers than k, or no usable feature, narrows the range; with fewer than
    two distinct points the answer is one segment, with the reason.
    """
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
    scored = np.ones(len(values), bool) if silhouette_rows is None else np.asarray(silhouette_rows, bool)
    scored_values = values[scored]
    distances = shared_distances(scored_values)
    rows = []
    for k in range(lower, upper + 1):
        started = time.perf_counter()
        model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(values)
        labels = model.labels_[scored]
        if len(np.unique(labels)) < 2:
            silhouette = float("nan")
        elif distances is None:
            silhouette = float(silhouette_samples(scored_values, labels).mean())
        else:
            silhouette = float(silhouette_samples(distances, labels, metric="precomputed").mean())
        seconds = time.perf_counter() - started
        rows.append(
            {"k": k, "inertia": float(model.inertia_), "silhouette": silhouette, "fit_seconds": seconds}
        )
    curve = pd.DataFrame(rows)
    chosen = int(curve.loc[curve["silhouette"].fillna(-1).idxmax(), "k"])
    return KChoice(chosen, elbow_point(curve["k"], curve["inertia"]), curve, len(values), reason)


@dataclass
class Centroids:
    centers: np.ndarray  # (k, n_features), standardised units; segment_id order (row 0 = segment 1)
    labels: np.ndarray  # (n_sample,) segment_id of each sample customer
    silhouette: np.ndarray  # (k,) mean silhouette of the segment's silhouette-sample customers
    k: int
    fit_seconds: float


def fit_centroids(
    matrix: FeatureMatrix,
    k: int,
    order_by: np.ndarray,
    silhouette_rows: np.ndarray | None = None,
    seed: int = 42,
) -> Centroids:
    """Fit K-Means with k clusters on the sample; the warehouse assigns every customer to the
    nearest centroid (customer_segments).

    Segments are numbered by the mean of ``order_by`` (e.g. total revenue) in the sample,
    descending, so ids do not depend on K-Means' arbitrary labels.
    """
    started = time.perf_counter()
    n, width = matrix.values.shape
    if k <= 1 or width == 0:
        return Centroids(np.zeros((1, width)), np.ones(n, int), np.full(1, np.nan), 1, 0.0)
    model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(matrix.values)
    labels = model.predict(matrix.values)
    means = pd.Series(order_by).groupby(labels).mean().reindex(range(k)).sort_values(ascending=False)
    segment_of_label = np.zeros(k, int)
    segment_of_label[means.index.to_numpy()] = np.arange(1, k + 1)
    segment_id = segment_of_label[labels]
    centers = np.zeros_like(model.cluster_centers_)
    centers[segment_of_label - 1] = model.cluster_centers_
    scored = np.ones(n, bool) if silhouette_rows is None else np.asarray(silhouette_rows, bool)
    silhouette = np.full(k, np.nan)
    if len(np.unique(labels[scored])) > 1:
        values = pd.Series(silhouette_samples(matrix.values[scored], labels[scored]))
        per_segment = values.groupby(segment_id[scored]).mean()
        silhouette[per_segment.index.to_numpy() - 1] = per_segment.to_numpy()
    return Centroids(centers, segment_id, silhouette, k, time.perf_counter() - started)


def feature_scaling(customers: pd.DataFrame, matrix: FeatureMatrix) -> pd.DataFrame:
    """Per used feature, how a raw value becomes a standardised one (as prepare_features did):
    z = (log1p(x) if log_transformed else x) - mean) / std. Columns feature_name,
    is_log_transformed, feature_mean, feature_std."""
    rows = []
    for name in matrix.features:
        column = customers[name].astype(float).fillna(0.0).to_numpy()
        logged = name in matrix.log_transformed
        column = np.log1p(column) if logged else column
        rows.append({"feature_name": name, "is_log_transformed": logged,
                     "feature_mean": float(column.mean()), "feature_std": float(column.std())})  # fmt: skip
    return pd.DataFrame(rows, columns=["feature_name", "is_log_transformed", "feature_mean", "feature_std"])


def centroid_table(
    customers: pd.DataFrame, features: Sequence[str], matrix: FeatureMatrix, fitted: Centroids
) -> pd.DataFrame:
    """segmentation_centroids: one row per segment x configured feature, with the segment's
    name, its centroid coordinate and the feature's scaling; unused features (dropped as
    constant) have is_used false and weigh nothing in the distance."""
    names = name_segments(segment_profiles(customers, fitted.labels))
    scaling = feature_scaling(customers, matrix).set_index("feature_name")
    rows = []
    for segment in range(1, fitted.k + 1):
        for name in features:
            used = name in scaling.index
            rows.append(
                {
                    "segment_id": segment,
                    "segment_name": names[segment],
                    # "Occasional 2" takes the action of "Occasional" (segment_actions seed)
                    "segment_base_name": re.sub(r" \d+$", "", names[segment]),
                    "feature_name": name,
                    "is_used": used,
                    "is_log_transformed": bool(scaling.at[name, "is_log_transformed"]) if used else False,
                    "feature_mean": float(scaling.at[name, "feature_mean"]) if used else 0.0,
                    "feature_std": float(scaling.at[name, "feature_std"]) if used else 1.0,
                    "center": float(fitted.centers[segment - 1, matrix.features.index(name)])
                    if used
                    else 0.0,
                    "segment_silhouette": float(fitted.silhouette[segment - 1]),
                    "sample_customers": int((fitted.labels == segment).sum()),
                    "k": fitted.k,
                    "fit_seconds": fitted.fit_seconds,
                }
            )
    return pd.DataFrame(rows)


def name_segments(profiles: pd.DataFrame) -> dict[int, str]:
    """Names for segments from their centroid profiles, unique per run.

    ``profiles``: one row per segment_id, columns = features as z-scores of the segment mean
    against all customers (positive = above average). Rules, in order, each name used once:
    Top Spenders (highest monetary, > 0.5 sd), Price-Sensitive (highest discount share, > 0.5 sd),
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
        take("Top Spenders", col(monetary), col(monetary) > NAME_THRESHOLD)
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

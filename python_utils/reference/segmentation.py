"""The test oracle for the warehouse's K-Means assignment (segmentation_assignments): the
nearest centroid of python_utils.segmentation's centroid table, in numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd


def nearest_centroids(table: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The oracle for segmentation_assignments' SQL: each customer's nearest segment (lowest
    segment_id on a tie) and the Euclidean distance to it in standardised units; distance 0
    with a single segment. Returns customer_id, segment_id, distance_to_centroid."""
    used = table[table["is_used"]]
    features = list(dict.fromkeys(used["feature_name"]))
    scaling = used.drop_duplicates("feature_name").set_index("feature_name")
    z = np.column_stack(
        [
            # the transform was chosen on a sample of non-negative values: below 0 reads as 0
            (np.log1p(np.maximum(values, 0.0)) if scaling.at[name, "is_log_transformed"] else values)
            for name in features
            for values in [customers[name].astype(float).fillna(0.0).to_numpy()]
        ]
        or [np.zeros(len(customers))]
    )
    if features:
        z = (z - scaling.loc[features, "feature_mean"].to_numpy()) / scaling.loc[
            features, "feature_std"
        ].to_numpy()
    segments = sorted(table["segment_id"].unique())
    centers = np.array(
        [
            [used.set_index(["segment_id", "feature_name"]).at[(s, f), "center"] for f in features]
            for s in segments
        ]
    ).reshape(len(segments), len(features))
    if not features:
        z = np.zeros((len(customers), 0))
    distance = np.linalg.norm(z[:, None, :] - centers[None, :, :], axis=2)
    best = distance.argmin(axis=1)
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "segment_id": np.asarray(segments)[best],
            "distance_to_centroid": distance[np.arange(len(customers)), best] if len(segments) > 1 else 0.0,
        }
    )

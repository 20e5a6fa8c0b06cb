"""The segments K-Means finds on the seeded sample with the k segmentation_metrics chose: one
row per segment x feature (centroid, feature scaling, name). customer_segments assigns every
customer to its nearest centroid in SQL."""

from python_utils import segmentation
from python_utils.io import config_value, read_frame, to_warehouse
from python_utils.versioning import model_version


def model(dbt, session):
    dbt.config(materialized="table")
    features = config_value(dbt.config.get("segmentation_features"))
    seed = int(config_value(dbt.config.get("random_seed")))
    sample = read_frame(dbt.ref("segmentation_sample"))
    metrics = read_frame(dbt.ref("segmentation_metrics"), order_by=("k",))
    matrix = segmentation.prepare_features(sample, features)
    fitted = segmentation.fit_centroids(
        matrix,
        int(metrics.loc[metrics["is_chosen"], "k"].iloc[0]),
        sample["total_net_revenue"].to_numpy(float),
        silhouette_rows=sample["is_silhouette_sample"].to_numpy(bool),
        seed=seed,
    )
    table = segmentation.centroid_table(sample, features, matrix, fitted)
    customers = int(sample["customers"].max()) if len(sample) else 0
    table["model_version"] = model_version(
        features=matrix.features, k=fitted.k, seed=seed, customers=customers
    )
    return to_warehouse(table, session)

"""K-Means model selection on the seeded sample: inertia and silhouette for every k tried, and
the chosen k."""

from python_utils import segmentation
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    features = config_value(dbt.config.get("segmentation_features"))
    sample = read_frame(dbt.ref("segmentation_sample"))
    matrix = segmentation.prepare_features(sample, features)
    choice = segmentation.choose_k(
        matrix,
        k_min=int(config_value(dbt.config.get("segmentation_k_min"))),
        k_max=int(config_value(dbt.config.get("segmentation_k_max"))),
        silhouette_rows=sample["is_silhouette_sample"].to_numpy(bool),
        seed=int(config_value(dbt.config.get("random_seed"))),
    )
    table = segmentation.metrics_table(choice, matrix)
    table["customers"] = int(sample["customers"].max()) if len(sample) else 0
    return to_warehouse(table, session)

"""K-Means model selection: inertia and silhouette for every k tried, and the chosen k."""

from python_utils import segmentation
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    features = config_value(dbt.config.get("features"))
    customers = read_frame(dbt.ref("customer_rfm"), ["customer_id", *features])
    matrix = segmentation.prepare_features(customers, features)
    choice = segmentation.choose_k(
        matrix,
        k_min=int(config_value(dbt.config.get("k_min"))),
        k_max=int(config_value(dbt.config.get("k_max"))),
        sample_size=int(config_value(dbt.config.get("sample_size"))),
        silhouette_size=int(config_value(dbt.config.get("silhouette_size"))),
        seed=int(config_value(dbt.config.get("seed"))),
    )
    return to_warehouse(segmentation.metrics_table(choice, matrix), session)

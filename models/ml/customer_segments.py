"""One segment per customer of customer_rfm: K-Means with the k segmentation_metrics chose."""

from python_utils import segmentation
from python_utils.io import config_value, read_frame, to_warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    features = config_value(dbt.config.get("features"))
    customers = read_frame(dbt.ref("customer_rfm"))
    metrics = read_frame(dbt.ref("segmentation_metrics"))
    actions = read_frame(dbt.ref("segment_actions"))
    segments = segmentation.segment_customers(
        customers,
        features,
        chosen_k=int(metrics.loc[metrics["is_chosen"], "k"].iloc[0]),
        actions=actions,
        sample_size=int(config_value(dbt.config.get("sample_size"))),
        silhouette_size=int(config_value(dbt.config.get("silhouette_size"))),
        seed=int(config_value(dbt.config.get("seed"))),
    )
    return to_warehouse(segments, session)

"""The warehouse scores as the Python library does: on the demo build, every model's backtest
prediction, every metric, the published predictions and the segment assignments that SQL
computed equal python_utils' reference implementation on the same fits, to 1e-6."""

import numpy as np
import pandas as pd
import pytest

from integration_tests.conftest import query_frame
from python_utils import clv
from python_utils.reference import catalogue
from python_utils.reference import clv as oracle
from python_utils.reference import clv_choice as oracle_choice
from python_utils.reference.segmentation import nearest_centroids

TOLERANCE = 1e-6


def assert_frames_close(ours: pd.DataFrame, reference: pd.DataFrame, keys: list[str]):
    ours = ours.sort_values(keys).reset_index(drop=True)
    reference = reference.sort_values(keys).reset_index(drop=True)
    assert len(ours) == len(reference)
    for column in reference.columns:
        left, right = ours[column], reference[column]
        if pd.api.types.is_numeric_dtype(right) and not pd.api.types.is_bool_dtype(right):
            np.testing.assert_allclose(
                left.to_numpy(float), right.to_numpy(float), rtol=TOLERANCE, atol=1e-9, err_msg=column
            )
        else:  # text and flags; missing is missing whether NaN or NULL
            as_text = [lambda v: None if pd.isna(v) else str(v)] * 2
            assert list(map(as_text[0], left)) == list(map(as_text[1], right)), column


@pytest.fixture(scope="module")
def reference(demo_shop):
    """python_utils' own scoring of the demo, from the fits the build stored."""
    db = demo_shop["db"]
    fits = query_frame(db, "select * from ml.clv_model_fits")
    snapshots = query_frame(db, "select * from ml.clv_snapshots order by snapshot_name, customer_id")
    fitted = {name: clv.FittedModels.from_table(part) for name, part in fits.groupby("snapshot_name")}
    frame = {name: part.reset_index(drop=True) for name, part in snapshots.groupby("snapshot_name")}
    horizon = {name: int(part["horizon_days"].iloc[0]) for name, part in frame.items()}
    scores = oracle.score_models(fitted["calibration"], frame["calibration"], horizon["calibration"])
    earlier = oracle.score_models(fitted["training"], frame["training"], horizon["training"])
    ratios = oracle.bias_ratios(
        earlier["customer_group"], frame["training"]["target_revenue"], earlier["revenue_btyd"]
    )
    scores = oracle.add_bias_corrected(scores, ratios)
    return {"db": db, "fitted": fitted, "frame": frame, "horizon": horizon, "scores": scores}


def test_backtest_predictions_equal_the_library(reference):
    scores, calibration = reference["scores"], reference["frame"]["calibration"]
    rows = []
    for name in oracle.model_names(scores):
        purchases = scores.get(f"purchases_{name}", pd.Series(np.nan, index=scores.index))
        rows.append(pd.DataFrame({
            "customer_id": scores["customer_id"], "model_name": name,
            "predicted_revenue": scores[f"revenue_{name}"], "predicted_purchases": purchases,
            "actual_revenue": calibration["target_revenue"],
        }).dropna(subset=["predicted_revenue"]))  # fmt: skip
    expected = pd.concat(rows, ignore_index=True)
    ours = query_frame(
        reference["db"],
        "select customer_id, model_name, predicted_revenue, predicted_purchases, actual_revenue from ml.clv_backtest",
    )
    assert set(ours["model_name"]) == set(expected["model_name"])
    assert_frames_close(ours, expected, ["model_name", "customer_id"])


def test_metrics_and_choice_equal_the_library(reference):
    backtest = query_frame(reference["db"], "select * from ml.clv_backtest order by customer_id, model_name")
    expected = oracle_choice.model_metrics(
        backtest,
        clv_interval_coverage=0.8,
        clv_selection_max_aggregate_error=0.05,
        random_seed=42,
        clv_max_aggregate_error=0.10,
    )
    ours = query_frame(reference["db"], "select * from ml.clv_model_metrics")[list(expected.columns)]
    assert_frames_close(ours, expected, ["model_name", "customer_group"])


def test_published_predictions_equal_the_library(reference):
    db = reference["db"]
    fits = query_frame(db, "select * from ml.clv_model_fits where snapshot_name = 'scoring'")
    metrics = query_frame(db, "select * from ml.clv_model_metrics")
    scoring = reference["frame"]["scoring"]
    rfm = query_frame(db, "select customer_id, rfm_segment, rfm_value_level from marts.customer_rfm")
    settings = oracle_choice.PredictionSettings(
        365, 0.10, 0.20, 0.50, 0.80, fits["model_version"].iloc[0], fits["as_of_date"].iloc[0]
    )
    published = sorted(set(oracle_choice.chosen_models(metrics).values()))
    backtest = query_frame(db, "select * from ml.clv_backtest order by customer_id, model_name")
    expected = oracle_choice.predictions(
        reference["fitted"]["scoring"],
        scoring,
        backtest_rows=backtest[backtest["model_name"].isin(published)],
        metrics=metrics,
        rfm=rfm,
        actions=query_frame(db, "select * from reference.clv_actions"),
        settings=settings,
    ).drop(columns=["as_of_date"])
    # customers without a purchase are valued at 0 outside the models (test_foundation)
    ours = query_frame(db, "select * from marts.clv_predictions where customer_group != 'no_purchase'")
    assert_frames_close(ours[list(expected.columns)], expected, ["customer_id"])


def test_segments_are_the_nearest_centroids(demo_shop):
    db = demo_shop["db"]
    centroids = query_frame(db, "select * from ml.segmentation_centroids")
    customers = query_frame(db, "select * from marts.customer_rfm where has_purchase")
    expected = nearest_centroids(centroids, customers)
    ours = query_frame(
        db,
        "select customer_id, segment_id, distance_to_centroid from marts.customer_segments where segment_id > 0",
    )
    assert_frames_close(ours, expected, ["customer_id"])


def test_every_catalogue_candidate_competes_and_only_they_are_chosen(demo_shop):
    """The backtest scores every model of the catalogue (dbt_project.yml's clv_candidates, which
    the SQL and the oracle both read), and each group's choice is one of its candidates."""
    db = demo_shop["db"]
    backtested = {
        name for (name,) in query_frame(db, "select distinct model_name from ml.clv_backtest").values
    }
    assert set(catalogue.catalogue()) <= backtested
    chosen = query_frame(db, "select customer_group, published_model from ml.clv_chosen_models")
    assert len(chosen) == 3  # repeat, one-time and new customers
    for group, model in chosen.itertuples(index=False):
        assert model in catalogue.candidates()[group], (group, model)

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from python_utils import segmentation as seg
from python_utils.reference.segmentation import nearest_centroids

ACTIONS = pd.DataFrame(
    {
        "segment_name": ["Top Spenders", "Loyal", "At-Risk", "Price-Sensitive", "New", "Hibernating",
                         "Occasional", "Single Segment"],
        "segment_action": list("abcdefgh"),
    }
)  # fmt: skip
FEATURES = ["days_since_last_order", "frequency", "total_net_revenue"]


def customers_frame(n: int, seed: int = 0, **overrides) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "days_since_last_order": rng.integers(0, 700, n),
            "frequency": rng.poisson(2, n),
            "total_net_revenue": rng.gamma(2, 60, n),
            "avg_order_value": rng.gamma(5, 10, n),
            "discount_share": rng.uniform(0, 0.3, n),
            "recency_days": rng.integers(0, 300, n),
            "t_days": rng.integers(0, 1000, n),
            "as_of_date": pd.Timestamp("2025-12-31"),
        }
    )
    for column, value in overrides.items():
        frame[column] = value
    return frame


def profile(**z) -> dict:
    base = dict.fromkeys(seg.PROFILE_COLUMNS, 0.0)
    base.update(z)
    return base


def test_names_follow_centroid_profiles():
    profiles = pd.DataFrame(
        {
            1: profile(total_net_revenue=2.0, frequency=1.5, days_since_last_order=-0.8),
            2: profile(frequency=1.0, days_since_last_order=-0.5, total_net_revenue=0.3),
            3: profile(frequency=0.6, days_since_last_order=1.0, total_net_revenue=0.2),
            4: profile(discount_share=1.5, total_net_revenue=-0.2),
            5: profile(days_since_last_order=-1.0, frequency=-0.7, t_days=-1.2),
            6: profile(days_since_last_order=1.6, frequency=-0.6, total_net_revenue=-0.5),
            7: profile(days_since_last_order=-0.1, frequency=-0.2, t_days=0.5),
        }
    ).T
    assert seg.name_segments(profiles) == {
        1: "Top Spenders",
        2: "Loyal",
        3: "At-Risk",
        4: "Price-Sensitive",
        5: "New",
        6: "Hibernating",
        7: "Occasional",
    }


def test_names_are_unique_when_profiles_repeat():
    profiles = pd.DataFrame({i: profile(days_since_last_order=0.1 * i) for i in range(1, 6)}).T
    names = seg.name_segments(profiles)
    assert len(set(names.values())) == 5
    assert "Occasional 2" in names.values()


def test_recent_but_long_tenured_customers_are_not_called_new():
    profiles = pd.DataFrame(
        {
            1: profile(days_since_last_order=-1.0, frequency=-0.5, t_days=1.0),
            2: profile(days_since_last_order=1.0),
        }
    ).T
    assert seg.name_segments(profiles)[1] == "Occasional"


def test_choose_k_finds_the_number_of_separated_groups():
    rng = np.random.default_rng(3)
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0], [0, 0, 8]])
    points = np.concatenate([c + rng.normal(size=(300, 3)) for c in centres])
    matrix = seg.FeatureMatrix(values=points, features=["a", "b", "c"], log_transformed=[])
    choice = seg.choose_k(matrix, k_min=2, k_max=7, seed=1)
    assert choice.chosen_k == 4
    assert choice.curve["silhouette"].max() > 0.7
    assert choice.elbow_k == 4


def test_silhouettes_are_scikit_learns_with_or_without_the_shared_distances():
    # The distance matrix shared by every k, and the per-k route scikit-learn takes when the
    # matrix would not fit in its working_memory, both give silhouette_score's values exactly.
    frame = customers_frame(1_500, seed=7)
    matrix = seg.prepare_features(frame, FEATURES)
    scored = np.arange(len(frame)) % 3 == 0
    expected = [
        silhouette_score(
            matrix.values[scored],
            KMeans(n_clusters=k, n_init=4, random_state=42).fit(matrix.values).labels_[scored],
        )
        for k in range(3, 9)
    ]
    assert seg.shared_distances(matrix.values[scored]) is not None
    shared = seg.choose_k(matrix, silhouette_rows=scored, seed=42).curve["silhouette"].tolist()
    with sklearn.config_context(working_memory=1):  # 1 MiB: a 500 x 500 matrix is 2 MB
        assert seg.shared_distances(matrix.values[scored]) is None
        per_k = seg.choose_k(matrix, silhouette_rows=scored, seed=42).curve["silhouette"].tolist()
    assert shared == per_k == expected


def test_skewed_features_are_logged_and_constants_dropped():
    frame = customers_frame(500, frequency=0)
    matrix = seg.prepare_features(frame, FEATURES + ["missing_feature"])
    assert matrix.features == ["days_since_last_order", "total_net_revenue"]
    assert "total_net_revenue" in matrix.log_transformed
    assert any("frequency is constant" in note for note in matrix.notes)
    assert any("missing_feature not in the data" in note for note in matrix.notes)
    assert np.allclose(matrix.values.mean(axis=0), 0) and np.allclose(matrix.values.std(axis=0), 1)


def run(frame: pd.DataFrame, features=FEATURES) -> tuple[pd.DataFrame, seg.KChoice]:
    """What the dbt models do: choose k and fit centroids on the sample (here all of it), then
    assign every customer to its nearest centroid (customer_segments' SQL, in numpy)."""
    matrix = seg.prepare_features(frame, features)
    choice = seg.choose_k(matrix, k_min=3, k_max=8, seed=42)
    fitted = seg.fit_centroids(matrix, choice.chosen_k, frame["total_net_revenue"].to_numpy(float), seed=42)
    table = seg.centroid_table(frame, features, matrix, fitted)
    segments = nearest_centroids(table, frame)
    names = table.drop_duplicates("segment_id").set_index("segment_id")
    segments["segment_name"] = segments["segment_id"].map(names["segment_name"])
    segments["segment_action"] = (
        segments["segment_id"]
        .map(names["segment_base_name"])
        .map(ACTIONS.set_index("segment_name")["segment_action"])
    )
    segments["monetary"] = frame["total_net_revenue"].to_numpy()
    return segments, choice


def test_nearest_centroid_assignment_is_k_means_own():
    frame = customers_frame(2_000, seed=5)
    matrix = seg.prepare_features(frame, FEATURES)
    fitted = seg.fit_centroids(matrix, 4, frame["total_net_revenue"].to_numpy(float), seed=42)
    segments = nearest_centroids(seg.centroid_table(frame, FEATURES, matrix, fitted), frame)
    # On the sample it was fitted on, the nearest centroid is the K-Means label.
    assert (segments["segment_id"].to_numpy() == fitted.labels).all()
    assert (segments["distance_to_centroid"] >= 0).all()


def test_fewer_customers_than_k_narrows_the_range():
    segments, choice = run(customers_frame(4))
    assert choice.chosen_k <= 3
    assert "narrowed" in choice.reason
    assert len(segments) == 4 and segments["segment_name"].notna().all()


def test_identical_customers_make_one_segment_without_nan():
    frame = customers_frame(50, days_since_last_order=10, frequency=0, total_net_revenue=30.0)
    segments, choice = run(frame)
    assert choice.chosen_k == 1 and "no usable feature" in choice.reason
    assert (segments["segment_name"] == "Single Segment").all()
    assert segments[["segment_id", "distance_to_centroid"]].notna().all().all()
    table = seg.metrics_table(choice, seg.prepare_features(frame, FEATURES))
    assert table["is_chosen"].sum() == 1


def test_all_one_time_buyers_still_segment_on_the_rest():
    segments, choice = run(customers_frame(400, frequency=0))
    assert choice.chosen_k >= 2
    assert segments["segment_id"].nunique() == choice.chosen_k
    assert segments.groupby("segment_id")["segment_name"].nunique().eq(1).all()
    assert segments["segment_action"].notna().all()


def test_segment_ids_are_ordered_by_revenue_and_reproducible():
    frame = customers_frame(3_000, seed=9)
    first, _ = run(frame)
    second, _ = run(frame)
    pd.testing.assert_series_equal(first["segment_id"], second["segment_id"])
    revenue = first.groupby("segment_id")["monetary"].mean()
    assert revenue.is_monotonic_decreasing


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_inputs_give_one_segment(n):
    segments, choice = run(customers_frame(n, seed=4))
    assert choice.chosen_k == 1
    assert len(segments) == n

"""customer_segments on the demo data: quality, naming, and stability across rebuilds."""

from integration_tests.conftest import query, run_dbt


def test_chosen_segmentation_separates_customers(demo_shop):
    ((k, silhouette),) = query(
        demo_shop["db"], "select k, silhouette from ml.segmentation_metrics where is_chosen"
    )
    assert 3 <= k <= 8
    assert silhouette >= 0.35


def test_names_are_unique_and_every_segment_has_an_action(demo_shop):
    rows = query(
        demo_shop["db"],
        "select segment_id, segment_name, segment_action, customers from marts.customer_segment_profiles",
    )
    names = [name for _, name, _, _ in rows]
    assert len(names) == len(set(names))
    assert all(action for _, _, action, _ in rows)
    ((customers,),) = query(demo_shop["db"], "select count(*) from marts.customer_rfm")
    assert sum(size for *_, size in rows) == customers


def test_rebuild_gives_identical_segment_ids(demo_shop):
    before = dict(query(demo_shop["db"], "select customer_id, segment_id from marts.customer_segments"))
    run_dbt(
        "run",
        demo_shop["workdir"],
        demo_shop["db"],
        {"orders_path": str(demo_shop["data"])},
        "--select",
        "segmentation_sample segmentation_metrics segmentation_centroids customer_segments",
    )
    after = dict(query(demo_shop["db"], "select customer_id, segment_id from marts.customer_segments"))
    assert before == after

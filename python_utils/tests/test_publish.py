import pytest

from python_utils.publish import PUBLISHED_TABLES, NotPublished, check_build


def run_results(statuses: dict[str, str]) -> dict:
    return {"metadata": {"invocation_id": "run-1"},
            "results": [{"unique_id": k, "status": v} for k, v in statuses.items()]}  # fmt: skip


ALL_BUILT = {f"model.clv.{name}": "success" for name in PUBLISHED_TABLES}


def test_a_successful_build_of_every_published_table_is_published():
    assert check_build(run_results({**ALL_BUILT, "test.clv.some_test": "warn"})) == "run-1"


@pytest.mark.parametrize("status", ["error", "fail", "skipped", "runtime error"])
def test_any_failed_or_skipped_node_publishes_nothing(status):
    with pytest.raises(NotPublished, match="did not succeed: test.clv.gate"):
        check_build(run_results({**ALL_BUILT, "test.clv.gate": status}))


def test_a_partial_build_publishes_nothing():
    partial = {k: v for k, v in ALL_BUILT.items() if k != "model.clv.clv_predictions"}
    with pytest.raises(NotPublished, match="did not rebuild clv_predictions"):
        check_build(run_results(partial))

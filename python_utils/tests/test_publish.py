"""The rules publish applies to a build log (macros/operations/build_log.sql), on a real DuckDB build log
written here: which tables form one run, and what shrank. The end-to-end cases (real builds,
SIGKILL, make targets) are in integration_tests/test_publish.py."""

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from python_utils.tools.publish import PUBLISHED_TABLES, NotPublished, choose_run, shrinkage

START = datetime(2026, 1, 1, tzinfo=UTC)
# a published table and what it reads, as the project has it
PARENTS = {
    "customer_rfm": ["fct_sales"],
    "clv_predictions": ["customer_rfm"],
    "customer_segments": ["customer_rfm"],
}


class Log:
    def __init__(self):
        self.con = duckdb.connect()
        self.con.execute("create schema build_log")
        self.con.execute("create table build_log.builds (invocation_id varchar, command varchar,"
                         " started_at timestamptz, finished_at timestamptz, failed_nodes varchar, vars_json varchar)")  # fmt: skip
        self.con.execute("create table build_log.built_models (model_name varchar, invocation_id varchar,"
                         " built_at timestamptz, parent_models varchar)")  # fmt: skip
        self.builds = 0

    def build(
        self, invocation, models=PUBLISHED_TABLES, finished=True, failed="", command="build", vars_json="{}"
    ):
        self.builds += 1
        started = START + timedelta(hours=self.builds)
        self.con.execute("insert into build_log.builds values (?, ?, ?, ?, ?, ?)",
                         [invocation, command, started, started + timedelta(minutes=5) if finished else None,
                          failed if finished else None, vars_json])  # fmt: skip
        for i, model in enumerate(models):
            self.con.execute("insert into build_log.built_models values (?, ?, ?, ?)",
                             [model, invocation, started + timedelta(seconds=i), ",".join(PARENTS.get(model, []))])  # fmt: skip
        return self


def published(run_id, builds, vars_json="{}"):
    return {"run_id": run_id, "builds_json": json.dumps(builds), "vars_json": vars_json}


def test_one_finished_successful_build_is_one_run():
    run_id, build, made_of = choose_run(Log().build("a").con, None)
    assert (run_id, build.command, made_of) == ("a", "build", ["a"])


def test_a_later_build_that_touched_no_published_table_does_not_matter():
    log = Log().build("a").build("killed", models=["int_order_lines_flagged"], finished=False)
    assert choose_run(log.con, None)[0] == "a"


def test_a_build_that_did_not_finish_is_never_published():
    log = Log().build("a").build("killed", models=["fct_sales", "dim_customers"], finished=False)
    with pytest.raises(
        NotPublished, match="build killed .* did not finish .* after rebuilding fct_sales, dim_customers"
    ):
        choose_run(log.con, published("a", ["a"]))


def test_a_failed_build_is_never_published():
    with pytest.raises(NotPublished, match="did not succeed: test.clv.gate"):
        choose_run(Log().build("a", failed="test.clv.gate (fail)").con, None)


def test_tables_built_by_dbt_run_lack_their_tests():
    with pytest.raises(NotPublished, match="built by `dbt run`"):
        choose_run(Log().build("a", command="run").con, None)


def test_a_table_never_built_is_named():
    with pytest.raises(NotPublished, match="never built: clv_predictions"):
        choose_run(Log().build("a", models=[m for m in PUBLISHED_TABLES if m != "clv_predictions"]).con, None)


def test_a_dev_build_on_the_published_run_is_one_new_run():
    log = Log().build("a").build("dev", models=["customer_rfm", "customer_segments", "clv_predictions"])
    run_id, _, made_of = choose_run(log.con, published("a", ["a"]))
    assert (run_id, made_of) == ("dev", ["a", "dev"])
    # and a second dev build on top of that combined run
    log.build("dev2", models=["clv_predictions"])
    assert choose_run(log.con, published("dev", ["a", "dev"]))[2] == ["a", "dev", "dev2"]


def test_a_dev_build_on_a_run_that_was_not_published_is_refused():
    log = (
        Log()
        .build("a")
        .build("b")
        .build("dev", models=["customer_rfm", "customer_segments", "clv_predictions"])
    )
    with pytest.raises(NotPublished, match="come from 2 builds"):
        choose_run(log.con, published("a", ["a"]))  # b's tables were never published


def test_a_dev_build_with_other_vars_is_refused():
    log = Log().build("a").build("dev", models=["customer_rfm", "customer_segments", "clv_predictions"],
                                 vars_json='{"horizon_days": 180}')  # fmt: skip
    with pytest.raises(NotPublished, match="vars .*horizon_days.* differ"):
        choose_run(log.con, published("a", ["a"]))


def test_a_dev_build_that_leaves_a_reader_stale_is_refused():
    log = Log().build("a").build("dev", models=["customer_rfm"])
    with pytest.raises(
        NotPublished, match=r"reads customer_rfm, which the dev build rebuilt.*SELECT=customer_rfm\+"
    ):
        choose_run(log.con, published("a", ["a"]))


def test_a_database_without_a_build_log_says_so():
    with pytest.raises(NotPublished, match="no build log"):
        choose_run(duckdb.connect(), None)


def test_shrinkage_names_what_shrank_beyond_the_tolerance():
    last = {"rows": {"fct_sales": 1000, "dim_customers": 100}}
    assert shrinkage({"fct_sales": 1000, "dim_customers": 100}, None, 0.0) == []
    assert shrinkage({"fct_sales": 1001, "dim_customers": 100}, last, 0.0) == []
    assert shrinkage({"fct_sales": 999, "dim_customers": 95}, last, 0.0) == [
        "kept order lines 1,000 -> 999", "customers 100 -> 95"]  # fmt: skip
    assert shrinkage({"fct_sales": 999, "dim_customers": 95}, last, 0.01) == ["customers 100 -> 95"]

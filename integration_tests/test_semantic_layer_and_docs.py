"""For the people who read the marts: the semantic layer validates and answers queries on the
demo build, exposures name what reads the marts, and `dbt docs generate` documents every
BI-facing column."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from integration_tests.conftest import DBT, REPO, invoke_dbt, query

BI_FACING = ("fct_sales", "dim_customers", "customer_rfm", "customer_segments", "customer_segment_profiles",
             "clv_predictions", "clv_tier_segment_summary", "clv_tier_budget", "max_acquisition_cost")  # fmt: skip
MF = str(Path(sys.executable).with_name("mf"))


@pytest.fixture(scope="module")
def docs(demo_shop) -> dict:
    """`dbt docs generate` on the demo build: the manifest and the catalog."""
    workdir = demo_shop["workdir"] / "docs"
    done = invoke_dbt("docs generate", workdir, demo_shop["db"], {"orders_path": str(demo_shop["data"])})
    assert done.returncode == 0, done.stdout[-3000:]
    target = workdir / "target"
    return {name: json.loads((target / f"{name}.json").read_text()) for name in ("manifest", "catalog")} | {
        "semantic": json.loads((target / "semantic_manifest.json").read_text())
    }


def test_every_bi_facing_column_is_documented(docs):
    for name in BI_FACING:
        node = docs["manifest"]["nodes"][f"model.clv.{name}"]
        built = docs["catalog"]["nodes"][f"model.clv.{name}"]["columns"]
        described = {c.lower(): (v.get("description") or "").strip() for c, v in node["columns"].items()}
        assert node["description"].strip(), name
        missing = [c for c in built if not described.get(c.lower())]
        assert not missing, f"{name}: no description for {missing}"


def test_semantic_models_and_metrics_are_in_the_manifest(docs):
    semantic = docs["semantic"]
    models = {m["name"] for m in semantic["semantic_models"]}
    assert {"sales", "customer_rfm", "customer_segments", "clv_predictions"} <= models
    metrics = {m["name"] for m in semantic["metrics"]}
    assert {"revenue", "customers", "repeat_rate", "average_order_value", "predicted_revenue",
            "predicted_clv", "expected_active_customers", "backtest_mae"} <= metrics  # fmt: skip


def test_metricflow_answers_two_metrics_on_the_demo_build(demo_shop, docs):
    """`mf query` reads the project's target/semantic_manifest.json (the one `dbt docs generate`
    just wrote) and queries the demo DuckDB file."""
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "CLV_DUCKDB_PATH": str(demo_shop["db"])}
    (REPO / "target").mkdir(exist_ok=True)
    (REPO / "target" / "semantic_manifest.json").write_text(json.dumps(docs["semantic"]))
    done = subprocess.run(
        [MF, "query", "--metrics", "customers,repeat_rate", "--group-by", "customer__rfm_segment", "--csv",
         str(demo_shop["workdir"] / "mf.csv")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    answer = pd.read_csv(demo_shop["workdir"] / "mf.csv")
    ((customers, repeaters),) = query(
        demo_shop["db"], "select count(*), count(*) filter (where frequency > 0) from marts.customer_rfm"
    )
    assert answer["customers"].sum() == customers
    weighted = (answer["repeat_rate"] * answer["customers"]).sum()
    assert weighted == pytest.approx(repeaters, rel=1e-9)


def test_exposures_name_what_reads_the_marts():
    exposures = yaml.safe_load((REPO / "models" / "_exposures.yml").read_text())["exposures"]
    assert {e["name"] for e in exposures} == {"clv_dashboard", "marketing_export", "clv_report"}
    for exposure in exposures:
        assert exposure["depends_on"] and exposure["owner"]["email"]
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO)}
    listed = subprocess.run(
        [DBT, "ls", "--select", "+exposure:marketing_export",
         "--resource-type", "model", "--output", "name", "--quiet"],
        cwd=REPO, env=env, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert {"clv_tier_budget", "max_acquisition_cost", "clv_predictions", "stg_shop__order_lines"} <= set(
        listed
    )

"""The Snowflake path without an account: dbt parse for the target, the SQL layer through
dbt-snowflake against fakesnow, and the Python model bodies in a Snowpark local session."""

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from integration_tests.conftest import REPO, query
from integration_tests.snowpark_session import local_session, run_model
from python_utils.package import build_zip
from python_utils.synth import DirtyShares, ShopConfig, generate_shop, write_shop

DUMMY_CREDENTIALS = {
    "SNOWFLAKE_ACCOUNT": "dummy",
    "SNOWFLAKE_USER": "dummy",
    "SNOWFLAKE_PASSWORD": "dummy",
    "SNOWFLAKE_ROLE": "dummy",
    "SNOWFLAKE_WAREHOUSE": "dummy",
    "SNOWFLAKE_DATABASE": "CLV",
    "SNOWFLAKE_SCHEMA": "DBT",
}


def test_dbt_parse_for_the_snowflake_target_needs_no_connection(tmp_path):
    env = {**os.environ, **DUMMY_CREDENTIALS, "DBT_PROFILES_DIR": str(REPO), "DBT_TARGET": "snowflake"}
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "dbt"), "parse", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    config = manifest["nodes"]["model.clv.clv_predictions"]["config"]
    assert any(p.startswith("lifetimes==") for p in config["packages"])
    assert config["imports"] == ["@clv_python_utils/python_utils.zip"]


def test_sql_layer_builds_through_dbt_snowflake_on_the_emulator(tmp_path):
    # fakesnow raises on TRY_CAST of an unparsable timestamp (Snowflake returns NULL), so this
    # shop has none; their quarantine is proven on DuckDB.
    shares = replace(DirtyShares(), unparsable_ordered_at=0.0)
    lines, truth = generate_shop(ShopConfig(customers=1_500, seed=5, dirty=shares))
    data = write_shop(lines, truth, tmp_path / "raw")
    env = {**os.environ, **DUMMY_CREDENTIALS}
    done = subprocess.run(
        [sys.executable, str(REPO / "integration_tests" / "run_on_fakesnow.py"), str(data), str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["success"], report
    assert report["fct_sales"] == truth["clean_lines"] + truth["dirty_lines"]["zero_amount"]
    expected = {k: v for k, v in truth["dirty_lines"].items() if v and k != "zero_amount"}
    assert report["rejected"] == expected
    assert report["customer_rfm"] == truth["customers_with_orders"]


def test_python_utils_imports_from_its_stage_zip(tmp_path):
    archive = build_zip(tmp_path / "python_utils.zip")
    assert "python_utils/tests/test_btyd.py" not in zipfile.ZipFile(archive).namelist()
    code = "import python_utils.clv, python_utils.segmentation as s; print(s.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(archive)!r}); {code}"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "python_utils.zip" in done.stdout


@pytest.fixture(scope="module")
def snowpark_outputs(demo_shop):
    """Every Python model run in DAG order in a Snowpark local session, on the demo tables."""
    schemas = {"int_customer_snapshots": "intermediate", "customer_rfm": "marts", "int_as_of_date": "intermediate",
               "int_purchase_calendar": "intermediate", "segment_actions": "reference", "clv_actions": "reference",
               "calendar_multipliers": "reference"}  # fmt: skip
    names = list(schemas)
    import duckdb

    with duckdb.connect(str(demo_shop["db"]), read_only=True) as con:
        tables = {n: con.execute(f"select * from {schemas[n]}.{n}").df() for n in names}
    session = local_session()
    outputs = {}
    for model in ("segmentation_metrics", "customer_segments", "clv_backtest", "clv_model_metrics",
                  "clv_model_fits", "clv_predictions"):  # fmt: skip
        out = run_model(model, session, tables)
        outputs[model] = out
        tables[model] = out.rename(columns=str.lower)
    return outputs


def test_python_models_write_upper_case_columns_on_snowflake(snowpark_outputs):
    for name, frame in snowpark_outputs.items():
        assert all(c == c.upper() for c in frame.columns), name


def test_snowpark_run_gives_the_same_segments_as_duckdb(snowpark_outputs, demo_shop):
    ours = snowpark_outputs["customer_segments"].set_index("CUSTOMER_ID")["SEGMENT_ID"]
    duck = dict(query(demo_shop["db"], "select customer_id, segment_id from ml.customer_segments"))
    assert ours.to_dict() == duck


def test_snowpark_run_gives_the_same_clv_as_duckdb(snowpark_outputs, demo_shop):
    fits = snowpark_outputs["clv_model_fits"].set_index("MODEL_NAME")["PARAMETERS_JSON"]
    (duck_bgnbd,) = query(
        demo_shop["db"], "select parameters_json from ml.clv_model_fits where model_name = 'bgnbd'"
    )[0]
    assert json.loads(fits["bgnbd"]) == pytest.approx(json.loads(duck_bgnbd))
    ours = snowpark_outputs["clv_predictions"].set_index("CUSTOMER_ID")["PREDICTED_CLV"].sort_index()
    duck = pd.Series(
        dict(query(demo_shop["db"], "select customer_id, predicted_clv from ml.clv_predictions"))
    ).sort_index()
    np.testing.assert_allclose(ours.to_numpy(), duck.to_numpy(), rtol=1e-6)

"""The Snowflake path without an account: dbt parse for the target, the SQL layer through
dbt-snowflake against fakesnow, and the Python model bodies in a Snowpark local session."""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from integration_tests.conftest import REPO
from integration_tests.snowpark_session import as_pandas, duck_session, local_session, run_model
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
    config = manifest["nodes"]["model.clv.clv_model_fits"]["config"]
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
    # Seeded samples are drawn in the same order on both engines: md5 of "<customer_id>-<seed>".
    drawn = report["sample_order"]
    assert len(drawn) == truth["customers_with_orders"]
    assert drawn == sorted(drawn, key=lambda c: (hashlib.md5(f"{c}-42".encode()).hexdigest(), c))
    assert report["btyd_fit_rows"] > 0


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


PYTHON_MODELS = ("segmentation_metrics", "segmentation_centroids", "clv_btyd_fits", "clv_model_fits",
                 "clv_bgnbd_terms", "clv_model_scores")  # fmt: skip
TIMINGS = ("fit_seconds", "fitted_at", "seconds")


@pytest.fixture(scope="module")
def adapter_outputs(demo_shop):
    """Every Python model run in DAG order on Snowpark (local testing) and on DuckDB, fed the
    same tables: the demo's SQL outputs for 1,500 customers (the Snowpark emulator builds
    DataFrames cell by cell)."""
    import duckdb

    customers = "(select customer_id from ml.segmentation_sample where sample_rank <= 1500)"
    queries = {
        "segmentation_sample": f"select * from ml.segmentation_sample where customer_id in {customers}",
        "clv_snapshots": f"select * from ml.clv_snapshots where customer_id in {customers}",
        "clv_fit_sample": f"select * from ml.clv_fit_sample where customer_id in {customers}",
        "clv_snapshot_summary": "select * from ml.clv_snapshot_summary",
        "int_purchase_calendar": "select * from intermediate.int_purchase_calendar",
        "calendar_multipliers": "select * from reference.calendar_multipliers",
    }
    with duckdb.connect(str(demo_shop["db"]), read_only=True) as con:
        inputs = {name: con.execute(sql).df() for name, sql in queries.items()}
        # their fit rows and pairs, as the SQL models make them
        con.register("snapshots", inputs["clv_snapshots"])
        inputs["clv_btyd_fit_rows"] = con.execute(
            "select snapshot_name, 'bgnbd' as model_name, frequency, recency_days, t_days,"
            " cast(null as double) as monetary_value, count(*) as weight from snapshots group by all"
            " union all select snapshot_name, 'gamma_gamma', frequency, null, null, monetary_value, count(*)"
            " from snapshots where frequency > 0 and monetary_value > 0 group by all"
        ).df()
        inputs["clv_frequency_tenure_pairs"] = con.execute(
            "select distinct snapshot_name, frequency, t_days, horizon_days from snapshots"
        ).df()
    outputs = {}
    for adapter, session in (("snowflake", local_session()), ("duckdb", duck_session())):
        tables, raw = dict(inputs), {}
        for model in PYTHON_MODELS:
            raw[model] = run_model(model, session, tables, adapter)
            tables[model] = as_pandas(raw[model])
        outputs[adapter] = {"raw": raw, "tables": tables}
    return outputs


def test_python_models_write_upper_case_columns_on_snowflake(adapter_outputs):
    for name, output in adapter_outputs["snowflake"]["raw"].items():
        assert all(c == c.upper() for c in output.columns), name


def assert_json_close(a, b, path="$"):
    """Equal JSON, numbers to 1e-9 relative, timings ignored."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            if key not in TIMINGS:
                assert_json_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_json_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, nan_ok=True), path
    else:
        assert a == b, path


@pytest.mark.parametrize("model", PYTHON_MODELS)
def test_snowpark_and_duckdb_runs_agree(adapter_outputs, model):
    snow = adapter_outputs["snowflake"]["tables"][model]
    duck = adapter_outputs["duckdb"]["tables"][model]
    assert sorted(snow.columns) == sorted(duck.columns)
    keys = [c for c in ("snapshot_name", "model_name", "customer_id", "k", "segment_id", "feature_name",
                        "frequency", "t_days") if c in duck.columns]  # fmt: skip
    snow = snow.sort_values(keys).reset_index(drop=True)
    duck = duck.sort_values(keys).reset_index(drop=True)
    assert len(snow) == len(duck) > 0
    for column in duck.columns:
        if column in TIMINGS:
            continue
        left, right = snow[column], duck[column]
        if column == "parameters_json":
            for a, b in zip(left, right, strict=True):
                assert_json_close(json.loads(a), json.loads(b))
        elif pd.api.types.is_float_dtype(right):
            np.testing.assert_allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-9, err_msg=column)
        else:
            assert left.astype(str).tolist() == right.astype(str).tolist(), column

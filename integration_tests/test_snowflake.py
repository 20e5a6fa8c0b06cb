"""The Snowflake path without an account: dbt parse for the target, the deploy on the emulator
(fakesnow), the SQL layer through dbt-snowflake on the emulator, the Python models as the stored
procedures dbt-snowflake generates (run in a Snowpark local session) compared with dbt-duckdb's
build, and one runtime: what runs here is what Snowflake is told to run."""

import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from integration_tests.conftest import NO_TESTS, REPO, query, query_frame, run_dbt
from integration_tests.run_on_fakesnow import SAMPLES, WAREHOUSE_FIT_ROWS
from python_utils.tools.package import build_zip, project_release, release_id
from python_utils.tools.synth import DirtyShares, ShopConfig, generate_shop, write_shop

DUMMY_CREDENTIALS = {
    "SNOWFLAKE_ACCOUNT": "dummy",
    "SNOWFLAKE_USER": "dummy",
    "SNOWFLAKE_PASSWORD": "dummy",
    "SNOWFLAKE_ROLE": "dummy",
    "SNOWFLAKE_WAREHOUSE": "dummy",
    "SNOWFLAKE_DATABASE": "CLV",
    "SNOWFLAKE_SCHEMA": "DBT",
}
PYTHON_MODELS = ("segmentation_metrics", "segmentation_centroids", "clv_btyd_fits", "clv_model_fits",
                 "clv_bgnbd_terms", "clv_model_scores")  # fmt: skip
# pip distribution names where they differ from the Anaconda channel's
DISTRIBUTIONS = {"xgboost": "xgboost-cpu"}


def in_seeded_order(customers: list[str]) -> list[str]:
    """Customer ids in sample_order: md5 of "<customer_id>-<seed>", ties by the id."""
    return sorted(customers, key=lambda c: (hashlib.md5(f"{c}-42".encode()).hexdigest(), c))


@pytest.fixture(scope="module")
def snowflake_manifest(tmp_path_factory) -> dict:
    """dbt parse for the snowflake target, with no connection."""
    tmp_path = tmp_path_factory.mktemp("snowflake-parse")
    env = {**os.environ, **DUMMY_CREDENTIALS, "DBT_PROFILES_DIR": str(REPO), "DBT_TARGET": "snowflake"}
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "dbt"), "parse", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    return json.loads((tmp_path / "target" / "manifest.json").read_text())


def python_model_config(manifest: dict) -> dict:
    return manifest["nodes"]["model.clv.clv_model_fits"]["config"]


def test_python_models_import_the_working_trees_release_from_a_qualified_stage(snowflake_manifest):
    assert project_release(REPO / "dbt_project.yml") == release_id(), (
        "python_utils changed since its release was named: run `make python-utils-release`"
    )
    for model in PYTHON_MODELS:
        config = snowflake_manifest["nodes"][f"model.clv.{model}"]["config"]
        assert config["imports"] == [f"@CLV.DBT_packages.python_utils/{release_id()}/python_utils.zip"]
        assert config["snowflake_warehouse"] == "dummy"  # ml_warehouse unset: the target's


def test_deploy_creates_schema_and_stage_and_puts_the_zip_where_imports_point(snowflake_manifest, tmp_path):
    archive = build_zip(tmp_path / "python_utils.zip")
    env = {**os.environ, **DUMMY_CREDENTIALS}
    done = subprocess.run(
        [sys.executable, str(REPO / "integration_tests" / "run_on_fakesnow.py"), "deploy", str(archive),
         release_id(), str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "DBT_PACKAGES" not in [s.upper() for s in report["schemas_before"]]  # a fresh database
    assert report["success"]
    (imported,) = python_model_config(snowflake_manifest)["imports"]
    stage_path, release, file_name = imported.lstrip("@").split("/")
    assert report["listed"] == [f"{stage_path.split('.')[-1]}/{release}/{file_name}"]
    assert report["wrong_release_refused"]  # a zip that is not the imported release is not put


def test_tested_runtime_is_the_deployed_one(snowflake_manifest):
    """One runtime: this Python and every installed modelling library are what Snowflake runs."""
    config = python_model_config(snowflake_manifest)
    assert config["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    locked = dict(
        line.split("==") for line in (REPO / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )  # fmt: skip
    locked = {name.lower(): version for name, version in locked.items()}
    for spec in config["packages"]:
        name, version = spec.split("==")
        distribution = DISTRIBUTIONS.get(name, name)
        assert importlib.metadata.version(distribution) == version, spec
        assert locked[distribution.lower()] == version, spec


def test_model_version_moves_with_the_result_libraries(monkeypatch):
    import xgboost

    from python_utils.versioning import model_version

    before = model_version(parameters=[1.0], seed=42)
    assert model_version(parameters=[1.0], seed=42) == before
    monkeypatch.setattr(xgboost, "__version__", "3.2.0")
    assert model_version(parameters=[1.0], seed=42) != before


def test_sql_layer_builds_through_dbt_snowflake_on_the_emulator(fakesnow_run):
    report, truth = fakesnow_run["report"], fakesnow_run["truth"]
    assert report["success"], report
    assert report["fct_sales"] == truth["clean_lines"] + truth["dirty_lines"]["zero_amount"]
    expected = {k: v for k, v in truth["dirty_lines"].items() if v and k != "zero_amount"}
    assert report["rejected"] == expected
    assert report["customer_rfm"] == truth["customers_with_lines"]  # with a purchase or not
    # Seeded samples are drawn in the same order on both engines: md5 of "<customer_id>-<seed>"
    # (test_fit_samples_are_the_first_customers_in_seeded_order_on_both_engines: which ones).
    drawn = report["sample_order"]
    assert len(drawn) == SAMPLES["segmentation_sample_size"] < truth["customers_with_orders"]
    assert drawn == in_seeded_order(drawn)
    assert report["btyd_fit_rows"] > 0
    # Snowflake summed the BTYD likelihood over the larger fits' rows and read the smaller ones
    # (test_snowflake_and_duckdb_builds_agree: both equal DuckDB's, which read every fit's rows)
    sizes = [n for _, _, n in report["btyd_fit_rows_per_fit"]]
    assert len(sizes) == 6 and min(sizes) <= WAREHOUSE_FIT_ROWS < max(sizes), sizes


def test_snowflake_operations_settings(fakesnow_run, snowflake_manifest):
    report = fakesnow_run["report"]
    # every model's queries are tagged with its name and the invocation
    tagged = {json.loads(tag)["model"] for tag in report["query_tags"]}
    built = {n["name"] for n in snowflake_manifest["nodes"].values() if n["resource_type"] == "model"}
    assert tagged & built and {"fct_sales", "customer_rfm", *PYTHON_MODELS} <= tagged
    assert len({json.loads(tag)["invocation_id"] for tag in report["query_tags"]}) == 2  # two dbt runs
    # tables that keep state across runs keep Fail-safe; the rest are transient
    assert report["created"]["fct_sales"] == "permanent"
    assert report["created"]["customer_rfm"] == "transient"
    assert snowflake_manifest["nodes"]["model.clv.clv_model_runs"]["config"]["transient"] is False
    # "future" is judged in UTC wall-clock time, whatever TIMESTAMP_TYPE_MAPPING says
    compiled = (
        fakesnow_run["workdir"] / "target/compiled/clv/models/intermediate/orders/int_order_lines_flagged.sql"
    )
    sql = compiled.read_text().lower()
    assert re.search(r"ordered_at >\s*cast\('[0-9: -]+' as timestamp_ntz\) then 'future_ordered_at'", sql)


def test_stage_zip_holds_the_runtime_the_python_models_import_and_no_tool(tmp_path):
    """What the Python models import loads from the zip alone (the installed package hidden);
    the tests' oracle (python_utils.reference) and the tools are not in it."""
    archive = build_zip(tmp_path / "python_utils.zip")
    names = zipfile.ZipFile(archive).namelist()
    assert names and all(re.fullmatch(r"python_utils/\w+\.py", name) for name in names), names
    imported = sorted(
        {
            module
            for model in (REPO / "models").rglob("*.py")
            for dotted, listed in re.findall(
                r"^from python_utils(\.\w+)? import (.+)$", model.read_text(), re.M
            )
            for module in ([dotted[1:]] if dotted else listed.replace(" ", "").split(","))
        }
    )
    assert {"clv", "segmentation", "io", "versioning"} <= set(imported)
    code = (
        f"import sys; sys.path.insert(0, {str(archive)!r}); "
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
        f"import importlib; [importlib.import_module('python_utils.' + m) for m in {imported!r}]; "
        "import python_utils; print(python_utils.__file__); "
        "missing = [] \n"
        "for room in ('tools', 'reference'):\n"
        "    try: importlib.import_module('python_utils.' + room)\n"
        "    except ModuleNotFoundError: missing.append(room)\n"
        "print(missing)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    located, missing = done.stdout.strip().splitlines()
    assert "python_utils.zip" in located
    assert missing == "['tools', 'reference']"


TIMINGS = ("fit_seconds", "fitted_at", "seconds")


@pytest.fixture(scope="module")
def fakesnow_run(tmp_path_factory) -> dict:
    """A 1,500-customer shop through dbt-snowflake on the emulator: the SQL layer, then every
    Python model as the stored procedure dbt-snowflake generates, run in a Snowpark local
    session fed the real connector's types (int8/int16, DATE objects)."""
    tmp_path = tmp_path_factory.mktemp("fakesnow")
    # fakesnow raises on TRY_CAST of an unparsable timestamp (Snowflake returns NULL), so this
    # shop has none; their quarantine is proven on DuckDB.
    # A warehouse table has no unreadable CSV lines, and one export: several exports of an order
    # are told apart by raw_loaded_at_column there (proven on DuckDB).
    shares = replace(DirtyShares(), unparsable_ordered_at=0.0, unreadable_line=0.0)
    lines, truth = generate_shop(ShopConfig(customers=1_500, seed=5, dirty=shares, reexport_days=0))
    # Every 50th customer id padded as a spreadsheet export pads it (a blank before, a no-break
    # space after): the engines trim them alike, or a customer splits in two on one of them.
    ids = lines["customer_id"]
    padded = ids.notna() & (np.arange(len(lines)) % 50 == 0)
    lines.loc[padded, "customer_id"] = " " + ids[padded] + "\u00a0"
    data = write_shop(lines, truth, tmp_path / "raw")
    env = {**os.environ, **DUMMY_CREDENTIALS}
    done = subprocess.run(
        [sys.executable, str(REPO / "integration_tests" / "run_on_fakesnow.py"), str(data), str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {"report": report, "truth": truth, "data": data, "workdir": tmp_path}


@pytest.fixture(scope="module")
def duckdb_run(fakesnow_run) -> Path:
    """The same shop through dbt-duckdb, up to the Python models."""
    workdir = fakesnow_run["workdir"] / "duckdb"
    db_path = workdir / "clv.duckdb"
    run_dbt("build", workdir, db_path, {"orders_path": str(fakesnow_run["data"]), **SAMPLES},
            "--select", *(f"+{m}" for m in PYTHON_MODELS), *NO_TESTS)  # fmt: skip
    return db_path


def test_backtest_snapshots_hold_the_same_seeded_sample_on_both_engines(fakesnow_run, duckdb_run):
    """Each backtest snapshot keeps the first backtest_sample_size of its customers (those who
    had bought by its date) in md5 order of "<customer_id>-<seed>", on Snowflake as on DuckDB."""
    size = SAMPLES["backtest_sample_size"]
    for name, drawn in fakesnow_run["report"]["backtest_customers"].items():
        population = [
            customer
            for (customer,) in query(
                duckdb_run,
                "select customer_id from intermediate.int_customers where first_order_date <= "
                "(select max(snapshot_date) from intermediate.int_customer_snapshots where snapshot_name = ?)",
                [name],
            )
        ]
        assert len(population) > size
        first = in_seeded_order(population)[:size]
        assert drawn == sorted(first)
        in_duckdb = query(
            duckdb_run,
            "select customer_id from intermediate.int_customer_snapshots where snapshot_name = ?",
            [name],
        )
        assert sorted(c for (c,) in in_duckdb) == drawn


def test_fit_samples_are_the_first_customers_in_seeded_order_on_both_engines(fakesnow_run, duckdb_run):
    """segmentation_sample keeps the first segmentation_sample_size customers of int_customers_rfm_scored,
    clv_fit_sample the first cox / xgboost sample size of each snapshot, in md5 order of
    "<customer_id>-<seed>" (a top-n, no window over everyone): the same rows on both engines."""
    report = fakesnow_run["report"]
    everyone = [
        customer
        for (customer,) in query(
            duckdb_run, "select customer_id from intermediate.int_customers_rfm_scored where has_purchase"
        )
    ]
    size = SAMPLES["segmentation_sample_size"]
    assert len(everyone) > size
    assert report["sample_order"] == in_seeded_order(everyone)[:size]
    in_duckdb = query(duckdb_run, "select customer_id from ml.segmentation_sample order by sample_rank")
    assert [customer for (customer,) in in_duckdb] == report["sample_order"]

    cox, xgboost = SAMPLES["cox_sample_size"], SAMPLES["xgboost_sample_size"]
    truncated = 0
    for name, size in {"scoring": cox, "calibration": max(cox, xgboost), "training": xgboost}.items():
        population = [
            customer
            for (customer,) in query(
                duckdb_run, "select customer_id from ml.clv_snapshots where snapshot_name = ?", [name]
            )
        ]
        truncated += len(population) > size
        assert report["fit_sample"][name] == in_seeded_order(population)[:size]
        in_duckdb = query(
            duckdb_run,
            "select customer_id from ml.clv_fit_sample where snapshot_name = ? order by sample_rank",
            [name],
        )
        assert [customer for (customer,) in in_duckdb] == report["fit_sample"][name]
    assert truncated  # at least one snapshot holds more customers than its sample


def test_python_models_run_as_dbt_snowflake_generates_them(fakesnow_run, snowflake_manifest):
    report = fakesnow_run["report"]
    assert report["python_models_success"], report["python_models_error"]
    assert sorted(p["name"] for p in report["procedures"]) == sorted(PYTHON_MODELS)
    pinned = python_model_config(snowflake_manifest)
    for procedure in report["procedures"]:
        assert procedure["runtime"] == pinned["python_version"]
        assert procedure["packages"] == [*pinned["packages"], "snowflake-snowpark-python"]
        assert procedure["imports"] == pinned["imports"]
    # the models were handed what the real connector returns: small integers, DATE objects
    assert {"int8", "int16", "object", "float64"} <= set(report["dtypes_handed_to_models"])
    for model in PYTHON_MODELS:  # dbt's materialize wrote them through save_as_table, upper case
        columns = pq.read_schema(fakesnow_run["workdir"] / "outputs" / f"{model}.parquet").names
        assert columns and all(c == c.upper() for c in columns), model


def assert_json_close(a, b, path="$", rel=1e-9):
    """Equal JSON, numbers to ``rel`` relative, timings ignored."""
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            if key not in TIMINGS:
                assert_json_close(a[key], b[key], f"{path}.{key}", rel)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_json_close(x, y, f"{path}[{i}]", rel)
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=rel, nan_ok=True), path
    else:
        assert a == b, path


@pytest.mark.parametrize("model", PYTHON_MODELS)
def test_snowflake_and_duckdb_builds_agree(fakesnow_run, duckdb_run, model):
    """Each Python model's table from dbt-snowflake's generated procedure equals dbt-duckdb's.

    Except the BTYD fits' parameters, to 1e-6: Snowflake summed the larger fits' likelihoods,
    DuckDB's build read every row and summed in numpy, and BFGS stops anywhere within its
    tolerance of the optimum, where a flat likelihood (this shop's Gamma-Gamma) lets sums that
    differ in the last bits end 1e-7 apart. model_version, which hashes them, differs with them."""
    fitted_two_ways = model in ("clv_btyd_fits", "clv_model_fits")
    snow = pd.read_parquet(fakesnow_run["workdir"] / "outputs" / f"{model}.parquet").rename(columns=str.lower)
    duck = query_frame(duckdb_run, f"select * from ml.{model}")
    assert sorted(snow.columns) == sorted(duck.columns)
    keys = [c for c in ("snapshot_name", "model_name", "customer_id", "k", "segment_id", "feature_name",
                        "frequency", "t_days") if c in duck.columns]  # fmt: skip
    snow = snow.sort_values(keys).reset_index(drop=True)
    duck = duck.sort_values(keys).reset_index(drop=True)
    assert len(snow) == len(duck) > 0
    for column in duck.columns:
        if column in TIMINGS or (fitted_two_ways and column == "model_version"):
            continue
        left, right = snow[column], duck[column]
        if column == "parameters_json":
            for a, b in zip(left, right, strict=True):
                assert_json_close(json.loads(a), json.loads(b), rel=1e-6 if fitted_two_ways else 1e-9)
        elif pd.api.types.is_float_dtype(right):
            np.testing.assert_allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-9, err_msg=column)
        else:
            assert left.astype(str).tolist() == right.astype(str).tolist(), column

"""The Snowflake path without an account: dbt parse for the target; the deploy and the package
check on the emulator (fakesnow); the whole DAG built twice through dbt-snowflake on the
emulator (make snowflake-emulated: SQL on fakesnow, the Python models as the stored procedures
dbt-snowflake generates, run in a Snowpark local session) and compared with dbt-duckdb's build;
sessions pinned against the account's timestamp mapping; fct_sales atomic; and one runtime:
what runs here is what Snowflake is told to run."""

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from integration_tests.conftest import REPO, query
from integration_tests.snowflake_emulated import DUMMY_CREDENTIALS, SAMPLES, WAREHOUSE_FIT_ROWS
from python_utils.tools.package import build_zip, project_release, release_id

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


def check_packages(channels: list[list[tuple[str, str, str]]], workdir: Path) -> list[dict]:
    env = {**os.environ, **DUMMY_CREDENTIALS}
    done = subprocess.run(
        [sys.executable, str(REPO / "integration_tests" / "run_on_fakesnow.py"), "packages",
         json.dumps(channels), str(workdir)],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_package_check_reads_the_python_models_and_names_what_the_channel_lacks(snowflake_manifest, tmp_path):
    """make check-snowflake-packages on the emulator, against a packages view it is handed: the
    Python models' own pins for their Python version pass; a channel without one of them, or
    with it only for another Python, fails naming it."""
    config = python_model_config(snowflake_manifest)
    runtime, pinned = config["python_version"], config["packages"]
    assert {"lifetimes==0.11.3", "lifelines==0.27.8"} <= set(pinned) and runtime == "3.11"
    served = [(*spec.split("=="), runtime) for spec in pinned] + [("lifelines", "0.30.0", runtime)]
    lacking = [row for row in served if row[:2] != ("lifelines", "0.27.8")]
    other_python = [(*row[:2], "3.9") if row[0] == "lifetimes" else row for row in served]
    passed, failed, failed_for_python = check_packages([served, lacking, other_python], tmp_path)
    assert passed["success"], passed["log"]
    assert f"all {len(pinned)} pinned packages are served for Python 3.11" in passed["log"]
    assert not failed["success"]
    assert (
        "not served for Python 3.11 by this account's Anaconda channel: lifelines==0.27.8." in failed["log"]
    )
    assert not failed_for_python["success"] and "channel: lifetimes==0.11.3." in failed_for_python["log"]


def test_a_closed_pull_requests_schemas_are_dropped_and_only_those(tmp_path):
    env = {**os.environ, **DUMMY_CREDENTIALS}
    done = subprocess.run(
        [sys.executable, str(REPO / "integration_tests" / "run_on_fakesnow.py"), "ci-schemas", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["success"] and report["refused"]
    assert {"CI_PR_71", "CI_PR_71_MARTS", "CLV_MARTS"} <= set(report["left"])
    assert not [s for s in report["left"] if s.startswith("CI_PR_7_") or s == "CI_PR_7"]


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


@pytest.fixture(scope="module")
def emulated(tmp_path_factory) -> dict:
    """`make snowflake-emulated` on a 1,500-customer shop in two loads: the whole DAG (models,
    data tests, unit tests) for the snowflake target twice, SQL on the emulator and the Python
    models as the procedures dbt-snowflake generates, compared with dbt-duckdb's build."""
    if given := os.environ.get("CLV_EMULATED_DIR"):  # make snowflake-emulated ran it just before
        workdir = Path(given).resolve()
        stdout, returncode = (
            (workdir / "stdout.txt").read_text(),
            int((workdir / "returncode.txt").read_text()),
        )
    else:
        workdir = tmp_path_factory.mktemp("emulated")
        done = subprocess.run(
            [sys.executable, "-m", "integration_tests.snowflake_emulated", str(workdir)],
            cwd=REPO, env=os.environ.copy(), capture_output=True, text=True,
        )  # fmt: skip
        stdout, returncode = done.stdout + done.stderr[-3000:], done.returncode
    report = json.loads((workdir / "report.json").read_text()) if (workdir / "report.json").exists() else {}
    assert report, stdout[-8000:]
    return {"report": report, "workdir": workdir, "stdout": stdout, "returncode": returncode,
            "snowflake": workdir / "fakesnow" / "CLV.db", "duckdb": workdir / "duckdb" / "clv.duckdb"}  # fmt: skip


def on_emulator(
    emulated: dict, workdir: Path, *dbt_command: str, **environment: str
) -> subprocess.CompletedProcess:
    """A dbt command on a copy of what the emulated builds left (and its parse, reused)."""
    shutil.copytree(emulated["workdir"] / "fakesnow", workdir / "fakesnow")
    (workdir / "target").mkdir()
    shutil.copy(emulated["workdir"] / "target" / "partial_parse.msgpack", workdir / "target")
    return subprocess.run(
        [sys.executable, "-m", "integration_tests.snowflake_emulated", str(workdir), "--run", *dbt_command],
        cwd=REPO, env={**os.environ, **environment}, capture_output=True, text=True,
    )  # fmt: skip


@pytest.mark.emulator
def test_the_whole_dag_builds_and_tests_on_the_emulator_twice(emulated, snowflake_manifest):
    """Every model, data test and unit test, after the first load and again after the second
    (incremental validation and fct_sales' incremental update), as make snowflake-emulated
    prints it; its exit status says the same."""
    nodes = snowflake_manifest["nodes"]
    models = sum(n["resource_type"] == "model" for n in nodes.values())
    tests = sum(n["resource_type"] == "test" for n in nodes.values()) + len(snowflake_manifest["unit_tests"])
    for name, build in emulated["report"]["builds"].items():
        assert build["failed"] == [] and build["success"], name
        assert (build["models"], build["models_total"], build["tests"], build["tests_total"]) == (
            models, models, tests, tests)  # fmt: skip
        assert (
            f"snowflake-emulated ({name}): {models}/{models} models, {tests}/{tests} tests"
            in emulated["stdout"]
        )
    assert emulated["returncode"] == 0


@pytest.mark.emulator
def test_emulated_snowflake_build_equals_duckdbs(emulated):
    """The BI marts, the quarantine and the ML tables after both loads equal dbt-duckdb's build of
    the same orders in one go: text, whole numbers and dates exactly, floats to
    EMULATOR_TOLERANCE (1e-4) relative or 1e-4 absolute, for the BTYD fits: Snowflake sums the larger fits'
    likelihoods in SQL where DuckDB's build reads the rows into numpy, and BFGS stops anywhere
    within its tolerance of the optimum (2e-6 apart on this shop's Gamma-Gamma)."""
    assert emulated["report"]["differences"] == []


@pytest.mark.emulator
def test_quarantine_and_counts_on_the_emulator_equal_the_generators_truth(emulated):
    truth = emulated["report"]["truth"]
    kept = query(emulated["snowflake"], "select count(*) from DBT_MARTS.FCT_SALES")[0][0]
    assert kept == truth["clean_lines"] + truth["dirty_lines"]["zero_amount"]
    rejected = dict(query(emulated["snowflake"],
                          "select reject_reason, count(*) from DBT_INTERMEDIATE.INT_ORDER_LINES_REJECTED group by 1"))  # fmt: skip
    # unparsable timestamps included: Snowflake parses text by explicit formats (parse_text)
    assert rejected == {k: v for k, v in truth["dirty_lines"].items() if v and k != "zero_amount"}
    assert rejected["unparsable_ordered_at"] > 0
    customers = query(emulated["snowflake"], "select count(*) from DBT_MARTS.CUSTOMER_RFM")[0][0]
    assert customers == truth["customers_with_lines"]


@pytest.mark.emulator
def test_snowflake_operations_settings(emulated, snowflake_manifest):
    report = emulated["report"]
    # every model's queries are tagged with its name and the invocation
    tagged = {json.loads(tag)["model"] for tag in report["query_tags"]}
    built = {n["name"] for n in snowflake_manifest["nodes"].values() if n["resource_type"] == "model"}
    assert built <= tagged
    assert len({json.loads(tag)["invocation_id"] for tag in report["query_tags"]}) == 2  # two dbt builds
    # tables that keep state across runs keep Fail-safe; the rest are transient
    assert report["created"]["fct_sales"] == "permanent"
    assert report["created"]["customer_rfm"] == "transient"
    assert snowflake_manifest["nodes"]["model.clv.clv_model_runs"]["config"]["transient"] is False
    # "future" is judged in UTC wall-clock time, whatever TIMESTAMP_TYPE_MAPPING says
    compiled = (
        emulated["workdir"] / "target/compiled/clv/models/intermediate/orders/int_order_lines_flagged.sql"
    )
    sql = compiled.read_text().lower()
    assert re.search(r"ordered_at >\s*cast\('[0-9: -]+' as timestamp_ntz\) then 'future_ordered_at'", sql)


@pytest.mark.emulator
def test_an_account_mapping_timestamp_to_ltz_still_satisfies_the_contracts(emulated, tmp_path):
    """An account whose TIMESTAMP_TYPE_MAPPING is TIMESTAMP_LTZ (emulated: a plain `timestamp`
    means LTZ on a session that did not set it): the contracted marts with timestamp columns
    build, because every model's session is pinned to NTZ first. Without the pin they fail."""
    ltz = {"CLV_EMULATOR_TIMESTAMP_TYPE_MAPPING": "TIMESTAMP_LTZ"}
    command = ("run", "--select", "fct_sales", "customer_segments", "--full-refresh")
    pinned = on_emulator(emulated, tmp_path / "pinned", *command, **ltz)
    assert json.loads(pinned.stdout.strip().splitlines()[-1])["models"] == 2, pinned.stdout[-3000:]
    unpinned = on_emulator(emulated, tmp_path / "unpinned", *command, **ltz,
                           CLV_EMULATOR_SKIP="timestamp_type_mapping")  # fmt: skip
    result = json.loads(unpinned.stdout.strip().splitlines()[-1])
    assert result["models"] == 0 and "contract" in " ".join(result["failed"]).lower()


@pytest.mark.emulator
def test_a_killed_fct_sales_update_leaves_the_old_table_whole(emulated, tmp_path):
    """fct_sales' incremental update (delete the window, insert it again) killed right after
    its delete ran: readers, and the next run, find the previous table whole; then a run that
    is not killed leaves the same rows."""
    before = sorted(query(emulated["snowflake"], "select * from DBT_MARTS.FCT_SALES"))
    killed = on_emulator(emulated, tmp_path, "run", "--select", "fct_sales",
                         CLV_EMULATOR_KILL_AFTER=r"^\s*delete from \S*fct_sales")  # fmt: skip
    assert killed.returncode == -9, killed.stdout[-3000:]  # killed there, so the delete had run
    assert sorted(query(tmp_path / "fakesnow" / "CLV.db", "select * from DBT_MARTS.FCT_SALES")) == before
    finished = on_emulator(emulated, tmp_path / "again", "run", "--select", "fct_sales")
    assert json.loads(finished.stdout.strip().splitlines()[-1])["models"] == 1
    assert (
        sorted(query(tmp_path / "again" / "fakesnow" / "CLV.db", "select * from DBT_MARTS.FCT_SALES"))
        == before
    )


@pytest.mark.emulator
def test_backtest_snapshots_hold_the_same_seeded_sample_on_both_engines(emulated):
    """Each backtest snapshot keeps the first backtest_sample_size of its customers (those who
    had bought by its date) in md5 order of "<customer_id>-<seed>", on Snowflake as on DuckDB."""
    size = SAMPLES["backtest_sample_size"]
    for name in ("calibration", "training"):
        population = [
            customer
            for (customer,) in query(
                emulated["duckdb"],
                "select customer_id from intermediate.int_customers where first_order_date <= "
                "(select max(snapshot_date) from intermediate.int_customer_snapshots where snapshot_name = ?)",
                [name],
            )
        ]
        assert len(population) > size
        drawn = query(emulated["snowflake"],
                      "select customer_id from DBT_INTERMEDIATE.INT_CUSTOMER_SNAPSHOTS where snapshot_name = ?", [name])  # fmt: skip
        in_duckdb = query(emulated["duckdb"],
                          "select customer_id from intermediate.int_customer_snapshots where snapshot_name = ?", [name])  # fmt: skip
        assert (
            sorted(c for (c,) in drawn)
            == sorted(in_seeded_order(population)[:size])
            == sorted(c for (c,) in in_duckdb)
        )


@pytest.mark.emulator
def test_fit_samples_are_the_first_customers_in_seeded_order_on_both_engines(emulated):
    """segmentation_sample keeps the first segmentation_sample_size customers of
    int_customers_rfm_scored, clv_fit_sample the first cox / xgboost sample size of each
    snapshot, in md5 order of "<customer_id>-<seed>" (a top-n, no window over everyone): the
    same rows on both engines."""
    snow, duck = emulated["snowflake"], emulated["duckdb"]
    everyone = [
        c
        for (c,) in query(
            duck, "select customer_id from intermediate.int_customers_rfm_scored where has_purchase"
        )
    ]
    size = SAMPLES["segmentation_sample_size"]
    assert len(everyone) > size
    drawn = [
        c for (c,) in query(snow, "select customer_id from DBT_ML.SEGMENTATION_SAMPLE order by sample_rank")
    ]
    assert drawn == in_seeded_order(everyone)[:size]
    assert [
        c for (c,) in query(duck, "select customer_id from ml.segmentation_sample order by sample_rank")
    ] == drawn

    cox, xgboost = SAMPLES["cox_sample_size"], SAMPLES["xgboost_sample_size"]
    truncated = 0
    for name, size in {"scoring": cox, "calibration": max(cox, xgboost), "training": xgboost}.items():
        population = [
            c
            for (c,) in query(
                duck, "select customer_id from ml.clv_snapshots where snapshot_name = ?", [name]
            )
        ]
        truncated += len(population) > size
        drawn = query(snow, "select customer_id from DBT_ML.CLV_FIT_SAMPLE where snapshot_name = ? order by sample_rank",
                      [name])  # fmt: skip
        assert [c for (c,) in drawn] == in_seeded_order(population)[:size]
        in_duckdb = query(duck, "select customer_id from ml.clv_fit_sample where snapshot_name = ? order by sample_rank",
                          [name])  # fmt: skip
        assert in_duckdb == drawn
    assert truncated  # at least one snapshot holds more customers than its sample


@pytest.mark.emulator
def test_btyd_likelihoods_were_summed_both_ways(emulated):
    """BTYD fits with more distinct rows than btyd_max_fit_rows were summed by Snowflake
    (weighted_rows), the others read into Python: both routes ran, and both equal DuckDB's
    (test_emulated_snowflake_build_equals_duckdbs), which read every fit's rows."""
    sizes = [n for (n,) in query(emulated["snowflake"],
                                 "select count(*) from DBT_ML.CLV_BTYD_FIT_ROWS group by snapshot_name, model_name")]  # fmt: skip
    assert len(sizes) == 6 and min(sizes) <= WAREHOUSE_FIT_ROWS < max(sizes), sizes


@pytest.mark.emulator
def test_python_models_run_as_dbt_snowflake_generates_them(emulated, snowflake_manifest):
    report = emulated["report"]
    assert sorted(p["name"] for p in report["procedures"]) == sorted(PYTHON_MODELS * 2)  # two builds
    pinned = python_model_config(snowflake_manifest)
    for procedure in report["procedures"]:
        assert procedure["runtime"] == pinned["python_version"]
        assert procedure["packages"] == [*pinned["packages"], "snowflake-snowpark-python"]
        assert procedure["imports"] == pinned["imports"]
    # the models were handed what the real connector returns: small integers, DATE objects
    assert {"int8", "int16", "object", "float64"} <= set(report["dtypes_handed_to_models"])
    for model in PYTHON_MODELS:  # dbt's materialize wrote them through save_as_table, upper case
        columns = [c for (c,) in query(emulated["snowflake"], "select column_name from information_schema.columns "
                                       "where table_schema = 'DBT_ML' and table_name = ?", [model.upper()])]  # fmt: skip
        assert columns and all(c == c.upper() for c in columns), model

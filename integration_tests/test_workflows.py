"""The CI and schedule files: they parse, every `make` target they run exists, and the
Snowflake credentials they pass are the ones profiles.yml reads."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from integration_tests.conftest import DBT, REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
MAKE_TARGETS = set(re.findall(r"^([a-z][\w-]*):", (REPO / "Makefile").read_text(), re.M))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_the_three_workflows_exist():
    assert {p.name for p in WORKFLOWS} == {"ci.yml", "nightly-snowflake.yml", "slim-ci.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_runs_only_make_targets_that_exist(path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow["jobs"] and True in workflow  # PyYAML reads the `on:` key as True
    runs = [step["run"] for step in steps(workflow) if "run" in step]
    targets = [t for run in runs for t in re.findall(r"\bmake ([a-z][\w-]*)", run)]
    assert targets, path.name
    assert set(targets) <= MAKE_TARGETS, set(targets) - MAKE_TARGETS


def test_ci_runs_what_dot_ci_run_runs():
    (ci,) = [yaml.safe_load(p.read_text()) for p in WORKFLOWS if p.name == "ci.yml"]
    dot_ci_run = re.findall(r"^make ([\w-]+)", (REPO / ".ci" / "run").read_text(), re.M)
    workflow_runs = [
        t for step in steps(ci) for t in re.findall(r"^make ([\w-]+)", step.get("run", ""), re.M)
    ]
    assert dot_ci_run == workflow_runs == ["test", "snowflake-emulated"]
    python = next(s["with"] for s in steps(ci) if s.get("uses", "").startswith("actions/setup-python"))
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    assert python["python-version"] == project["models"]["clv"]["ml"]["+python_version"]
    assert python["cache"] == "pip"


@pytest.mark.parametrize("name", ["nightly-snowflake.yml", "slim-ci.yml"])
def test_snowflake_workflows_pass_the_profiles_credentials_and_the_raw_location(name):
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    profile_vars = set(re.findall(r"env_var\('(SNOWFLAKE_\w+)'", (REPO / "profiles.yml").read_text()))
    raw_location = set(
        re.findall(r"env_var\('(CLV_RAW_\w+)'", (REPO / "models/staging/shop/_shop__sources.yml").read_text())
    )
    assert raw_location == {"CLV_RAW_DATABASE", "CLV_RAW_SCHEMA", "CLV_RAW_ORDERS_TABLE"}
    for job in workflow["jobs"].values():
        env = {**workflow.get("env", {}), **job.get("env", {})}
        passed = {k for k in env if k.startswith(("SNOWFLAKE_", "CLV_RAW_"))}
        assert (profile_vars - {"SNOWFLAKE_PASSWORD"}) | raw_location <= passed  # a key pair, not a password
        assert "secrets." in env["SNOWFLAKE_USER"] and env["DBT_TARGET"] == "snowflake"
    assert workflow["permissions"]["contents"] == "read"


def slim_ci_plan(state: Path) -> list[list[str]]:
    """The commands `make slim-ci` would run (make -n prints them without running them)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "slim-ci", f"STATE={state}"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line.split() for line in printed.splitlines() if line.split()[1:2] == ["build"]]


def test_slim_ci_builds_modified_nodes_deferring_to_the_nightly_state_or_everything_before_one(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    (planned,) = slim_ci_plan(tmp_path)
    assert planned[1:3] == ["build", "--select"] and planned[3] == "state:modified+"
    assert "--defer" in planned and planned[planned.index("--state") + 1] == str(tmp_path)
    (first_pull_request,) = slim_ci_plan(tmp_path / "no-nightly-yet")
    assert first_pull_request[1:] == ["build"]  # no manifest: everything
    nightly = yaml.safe_load((REPO / ".github" / "workflows" / "nightly-snowflake.yml").read_text())
    uploaded = [s["with"]["name"] for s in steps(nightly) if s.get("uses", "").startswith("actions/upload")]
    slim_text = (REPO / ".github" / "workflows" / "slim-ci.yml").read_text()
    assert {"prod-manifest", "docs"} <= set(uploaded) and "--name prod-manifest" in slim_text


def test_slim_ci_can_read_the_nightly_runs_one_at_a_time_and_cleans_up():
    slim = yaml.safe_load((REPO / ".github" / "workflows" / "slim-ci.yml").read_text())
    assert slim["permissions"] == {"contents": "read", "actions": "read"}
    assert "github.event.number" in slim["concurrency"]["group"] and slim["concurrency"]["cancel-in-progress"]
    trigger = slim[True]["pull_request"]
    assert "closed" in trigger["types"]
    # what changes results: the runtime the Python models import, the pins, the profile
    assert {"python_utils/**", "requirements.lock", "profiles.yml", "dbt_project.yml"} <= set(
        trigger["paths"]
    )
    cleanup = [job for job in slim["jobs"].values() if "closed" in job["if"] and "!=" not in job["if"]]
    assert [s["run"] for job in cleanup for s in job["steps"] if "make drop-ci-schemas" in s.get("run", "")]
    nightly = yaml.safe_load((REPO / ".github" / "workflows" / "nightly-snowflake.yml").read_text())
    runs = [s.get("run", "") for s in steps(nightly)]
    assert any("make snowflake-freshness" in r for r in runs) and any("make retry" in r for r in runs)
    assert nightly["concurrency"]["cancel-in-progress"] is False


def snowflake_env(**environment: str) -> dict:
    """The environment of a dbt command for the snowflake target (no connection is made)."""
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "DBT_TARGET": "snowflake", "SNOWFLAKE_ACCOUNT": "a",
           "SNOWFLAKE_USER": "u", "SNOWFLAKE_PASSWORD": "p", "SNOWFLAKE_ROLE": "r", **environment}  # fmt: skip
    return env


def test_a_ci_schema_database_and_warehouse_of_its_own_modify_nothing(tmp_path):
    """state:modified against production's manifest selects nothing for an unchanged project
    built elsewhere (another database, schema and warehouse: the Python models' warehouse and
    imports and the raw source's database render differently), and still sees a real edit."""
    prod = snowflake_env(
        SNOWFLAKE_DATABASE="ANALYTICS", SNOWFLAKE_SCHEMA="clv", SNOWFLAKE_WAREHOUSE="PROD_WH"
    )
    ci = snowflake_env(
        SNOWFLAKE_DATABASE="ANALYTICS_CI", SNOWFLAKE_SCHEMA="ci_pr_7", SNOWFLAKE_WAREHOUSE="CI_WH"
    )
    subprocess.run([DBT, "parse", "--target-path", str(tmp_path / "prod"), "--log-path", str(tmp_path / "logs")],
                   cwd=REPO, env=prod, check=True, capture_output=True)  # fmt: skip

    def modified(project: Path, *only: str) -> list[str]:
        done = subprocess.run(
            [DBT, "ls", "--project-dir", str(project), "--select", "state:modified", *only, "--state", str(tmp_path / "prod"),
             "--target-path", str(tmp_path / "ci"), "--log-path", str(tmp_path / "logs"), "--quiet", "--output", "name"],
            cwd=project, env=ci, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout.split()

    assert modified(REPO) == []
    edited = tmp_path / "edited"
    shutil.copytree(REPO, edited, ignore=shutil.ignore_patterns(".venv*", "target", "logs", "data", ".git", "*.duckdb*",
                                                                "published", ".state", "benchmarks"))  # fmt: skip
    model = edited / "models" / "marts" / "customers" / "customer_rfm.sql"
    model.write_text(model.read_text() + "\n-- an analyst's edit\n")
    assert modified(edited, "--resource-type", "model") == ["customer_rfm"]

"""The CI and schedule files: they parse, every `make` target they run exists, and the
Snowflake credentials they pass are the ones profiles.yml reads."""

import re
import subprocess

import pytest
import yaml

from integration_tests.conftest import REPO

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
    assert "make test" in (REPO / ".ci" / "run").read_text()
    assert any(step.get("run", "").startswith("make test") for step in steps(ci))
    python = next(s["with"] for s in steps(ci) if s.get("uses", "").startswith("actions/setup-python"))
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    assert python["python-version"] == project["models"]["clv"]["ml"]["+python_version"]
    assert python["cache"] == "pip"


@pytest.mark.parametrize("name", ["nightly-snowflake.yml", "slim-ci.yml"])
def test_snowflake_workflows_pass_the_profiles_credentials_from_secrets(name):
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    (job,) = workflow["jobs"].values()
    profile_vars = set(re.findall(r"env_var\('(SNOWFLAKE_\w+)'", (REPO / "profiles.yml").read_text()))
    passed = {k for k in job["env"] if k.startswith("SNOWFLAKE_")}
    assert profile_vars - {"SNOWFLAKE_PASSWORD"} <= passed  # a key pair, not a password
    assert "secrets." in job["env"]["SNOWFLAKE_USER"] and job["env"]["DBT_TARGET"] == "snowflake"


def test_slim_ci_builds_modified_nodes_deferring_to_the_nightly_state():
    # what `make slim-ci` would run (make -n prints it without running it)
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "slim-ci", "STATE=/prod/state"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    (planned,) = [line.split() for line in printed.splitlines() if line.split()[1:2] == ["build"]]
    assert planned[1:3] == ["build", "--select"] and planned[3] == "state:modified+"
    assert "--defer" in planned and planned[planned.index("--state") + 1] == "/prod/state"
    nightly = yaml.safe_load((REPO / ".github" / "workflows" / "nightly-snowflake.yml").read_text())
    uploaded = [s["with"]["name"] for s in steps(nightly) if s.get("uses", "").startswith("actions/upload")]
    slim = (REPO / ".github" / "workflows" / "slim-ci.yml").read_text()
    assert "prod-manifest" in uploaded and "--name prod-manifest" in slim

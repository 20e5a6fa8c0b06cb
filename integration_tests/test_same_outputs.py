"""The redesign of #30 (one-way layers, split files, Python in rooms) changed no result: the
project as it was before it, built on the same data, gives every compared table
(same_outputs.COMPARED: what BI reads and the ML tables behind clv_predictions) equal row for
row, on the demo shop and on CDNOW."""

import json
import subprocess

import pytest

from integration_tests.conftest import REPO
from integration_tests.same_outputs import build_differences, build_revision, remove_worktree

BEFORE_REDESIGN = "83b22b6f0dbcf21f31955a82b76cfb772dc029cd"
# Vars renamed by the redesign: the name now -> the name the revision before it reads.
RENAMED_VARS = {"orders_path": "transactions_path"}


def _before(tmp_path_factory, name: str, variables: dict):
    known = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{BEFORE_REDESIGN}^{{commit}}"])
    if known.returncode != 0:
        pytest.skip(
            f"this clone does not hold {BEFORE_REDESIGN[:7]} (a shallow clone): nothing to compare with"
        )
    workdir = tmp_path_factory.mktemp(f"before_{name}")
    try:
        old_names = {RENAMED_VARS.get(var, var): value for var, value in variables.items()}
        build_revision(BEFORE_REDESIGN, workdir, workdir / "clv.duckdb", json.dumps(old_names))
    finally:
        remove_worktree(workdir)
    return workdir / "clv.duckdb"


def test_demo_tables_equal_the_build_before_the_redesign(demo_shop, tmp_path_factory):
    before = _before(tmp_path_factory, "demo", demo_shop["variables"])
    assert build_differences(before, demo_shop["db"]) == []


def test_cdnow_tables_equal_the_build_before_the_redesign(cdnow_shop, tmp_path_factory):
    before = _before(tmp_path_factory, "cdnow", cdnow_shop["variables"])
    assert build_differences(before, cdnow_shop["db"]) == []

"""What people and BI tools read. BI readers never block a build and never see a half-built run
(python_utils/publish.py): a reader holds the published DuckDB file open through a whole `dbt
build`; a build that fails part-way publishes nothing. The HTML report (python_utils/
html_report.py) opens in headless Chromium with every chart drawn and no script error."""

import hashlib
import os
import re
import subprocess
import time

import duckdb
import pytest

from integration_tests.conftest import REPO, dbt_command, invoke_dbt, run_dbt
from python_utils.html_report import CHARTS, chromium, open_in_browser, write_report
from python_utils.publish import NotPublished, connection_help, publish
from python_utils.synth import ShopConfig, generate_shop, write_shop


def published_run(con) -> str:
    return con.execute("select run_id from published_run").fetchone()[0]


def fingerprint(out) -> dict:
    """Every published file's content hash, and where `current` points."""
    files = {str(p.relative_to(out)): hashlib.md5(p.read_bytes()).hexdigest()
             for p in sorted(out.rglob("*")) if p.is_file() and not p.is_symlink()}  # fmt: skip
    return {"files": files, "current": os.readlink(out / "current")}


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    """Run A built and published; a reader opens the published file; build B runs to the end with
    the reader polling throughout, and is published; build C fails at the strict quality gate."""
    workdir = tmp_path_factory.mktemp("publish")
    lines, truth = generate_shop(ShopConfig(customers=1_000, seed=11))
    variables = {"transactions_path": str(write_shop(lines, truth, workdir / "raw"))}
    db, out, results = workdir / "clv.duckdb", workdir / "published", workdir / "target" / "run_results.json"
    run_dbt("build", workdir, db, variables)
    first = publish(db, results, out)

    reader = duckdb.connect(str(out / "clv_bi.duckdb"), read_only=True)
    before = reader.execute("select * from clv_predictions order by customer_id").fetchall()
    args, env = dbt_command("build", workdir, db, variables)
    build = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen_during_build = []
    while build.poll() is None:
        seen_during_build.append(
            (published_run(reader), reader.execute("select count(*) from clv_predictions").fetchone()[0])
        )
        time.sleep(0.5)
    build_output = build.stdout.read()
    second = publish(db, results, out) if build.returncode == 0 else None
    report = write_report(db, workdir / "reports" / "clv_report.html")
    old_connection_after = (published_run(reader),
                            reader.execute("select * from clv_predictions order by customer_id").fetchall())  # fmt: skip
    reader.close()

    before_failure = fingerprint(out)
    failed = invoke_dbt("build", workdir, db, {**variables, "clv_gate_severity": "error",
                                                "clv_max_aggregate_error": 0.0001})  # fmt: skip
    try:
        publish(db, results, out)
        refused = None
    except NotPublished as error:
        refused = str(error)
    return {"first": first, "second": second, "before": before, "seen_during_build": seen_during_build,
            "build": (build.returncode, build_output), "old_connection_after": old_connection_after,
            "before_failure": before_failure, "failed": failed, "refused": refused, "out": out,
            "report": report}  # fmt: skip


def test_a_build_succeeds_while_a_reader_holds_the_published_file(history):
    returncode, output = history["build"]
    assert returncode == 0, output[-3000:]
    assert "Conflicting lock" not in output
    assert len(history["seen_during_build"]) >= 5  # the reader queried all through the build


def test_the_reader_sees_the_old_run_until_the_build_ends_and_the_new_one_after(history):
    first, second = history["first"], history["second"]
    assert second is not None and second.run_id != first.run_id
    # during the build: the old run, whole
    assert set(history["seen_during_build"]) == {(first.run_id, first.rows["clv_predictions"])}
    # a connection opened before the swap keeps its complete run (never a mix) ...
    assert history["old_connection_after"] == (first.run_id, history["before"])
    # ... and a new one reads the new run, which the run history names
    with duckdb.connect(str(history["out"] / "clv_bi.duckdb"), read_only=True) as con:
        assert published_run(con) == second.run_id
        runs = {r[0] for r in con.execute("select distinct run_id from clv_model_runs").fetchall()}
        assert runs == {first.run_id, second.run_id}
        assert (
            con.execute("select count(*) from clv_predictions").fetchone()[0]
            == second.rows["clv_predictions"]
        )
    assert os.readlink(history["out"] / "current") == f"runs/{second.run_id}"


def test_a_failed_build_publishes_nothing(history):
    assert history["failed"].returncode != 0  # the strict gate failed the build part-way
    assert history["refused"] and "did not succeed" in history["refused"]
    assert fingerprint(history["out"]) == history["before_failure"]
    with duckdb.connect(str(history["out"] / "clv_bi.duckdb"), read_only=True) as con:
        assert published_run(con) == history["second"].run_id


def test_make_demo_publishes_and_prints_how_a_bi_tool_connects(history):
    makefile = (REPO / "Makefile").read_text()
    demo = makefile.split("\ndemo:")[1].split("\n\n")[0]
    assert demo.index("$(DBT) build") < demo.index("python_utils.publish") < demo.index("show_results.py")
    printed = connection_help(history["out"])
    database = history["out"].resolve() / "clv_bi.duckdb"
    assert f"ATTACH '{database}' AS clv (READ_ONLY)" in printed
    assert f"duckdb:///{database}?access_mode=read_only" in printed  # Superset (duckdb-engine)


def test_the_report_renders_every_chart_in_a_headless_browser(history, tmp_path):
    report = history["report"]
    text = report.read_text()
    # self-contained: nothing is fetched at view time (SVG's xmlns URIs are names, not fetches)
    assert not re.search(r"""(?:src|href)\s*=\s*["']https?:|url\(\s*["']?https?:|@import|<link""", text)
    if chromium() is None:
        pytest.skip(
            "no chromium on PATH: `make test` installs Debian's package as root; apt-get install chromium"
        )
    screenshot = tmp_path / "report.png"
    checked = open_in_browser(report, screenshot)
    assert checked == {"charts-expected": str(len(CHARTS)), "charts-rendered": str(len(CHARTS)),
                       "script-errors": "0"}  # fmt: skip
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 50_000

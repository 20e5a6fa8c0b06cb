"""What people and BI tools read (python_utils/tools/publish.py, `make build`, `make dev`,
`make publish`): one complete run or nothing, whatever target/ holds; openable by DuckDB 1.x
clients and from a copied folder; own data through `make build ORDERS=...`; a shrinking input
refused; the analyst loop publishing one consistent run; MetricFlow on the published copy while
a build holds the build's file. The HTML report (python_utils/tools/html_report.py) opens in
headless Chromium with every chart drawn and no script error.

Everything runs through the Makefile, as a user would, into a throw-away folder."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

import duckdb
import pandas as pd
import pytest

from integration_tests.conftest import REPO, invoke_dbt
from python_utils.tools.html_report import CHARTS, write_report
from python_utils.tools.publish import connection_help
from python_utils.tools.report_browser import chromium, open_in_browser
from python_utils.tools.synth import ShopConfig, generate_shop, write_shop

BI_CLIENT = REPO / ".venv-duckdb1" / "bin" / "python"  # `make bi-client`
MF = str(REPO / ".venv" / "bin" / "mf")


class Workspace:
    """A build file, target/, the published folder and the kept state, all under one folder;
    `make` targets run against them."""

    def __init__(self, root):
        self.root, self.db, self.out, self.state = (
            root,
            root / "clv.duckdb",
            root / "published",
            root / "state",
        )
        self.env = {**os.environ, "CLV_DUCKDB_PATH": str(self.db), "DBT_TARGET_PATH": str(root / "target"),
                    "DBT_LOG_PATH": str(root / "logs")}  # fmt: skip

    def args(self, target: str, **make_vars) -> list[str]:
        given = {"PUBLISHED": self.out, "STATE_DIR": self.state, **make_vars}
        return ["make", "--no-print-directory", target, *(f"{k}={v}" for k, v in given.items())]

    def make(self, target: str, **make_vars) -> subprocess.CompletedProcess:
        return subprocess.run(self.args(target, **make_vars), cwd=REPO, env=self.env, capture_output=True,
                              text=True)  # fmt: skip

    def start(self, target: str, **make_vars) -> subprocess.Popen:
        """`make target` in its own process group (so a kill reaches make, python and dbt)."""
        return subprocess.Popen(self.args(target, **make_vars), cwd=REPO, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip

    def published(self) -> tuple[str, int]:
        with duckdb.connect(str(self.out / "clv_bi.duckdb"), read_only=True) as con:
            return con.execute(
                "select (select run_id from published_run), (select count(*) from fct_sales)"
            ).fetchone()

    def fingerprint(self) -> dict:
        """Every published file's content hash, and where `current` points."""
        files = {str(p.relative_to(self.out)): hashlib.md5(p.read_bytes()).hexdigest()
                 for p in sorted(self.out.rglob("*")) if p.is_file() and not p.is_symlink()}  # fmt: skip
        return {"files": files, "current": os.readlink(self.out / "current")}


def kill_when(workspace: Workspace, pattern: str, times: int = 1, **make_vars) -> str:
    """Start `make build`, SIGKILL its whole process group as soon as dbt has printed a line
    matching ``pattern`` ``times`` times; the output up to the kill."""
    build = workspace.start("build", **make_vars)
    seen = []
    for line in build.stdout:
        seen.append(line)
        times -= bool(re.search(pattern, line))
        if times == 0:
            os.killpg(build.pid, signal.SIGKILL)
            break
    build.wait()
    assert build.returncode == -signal.SIGKILL, "".join(seen)[-3000:]
    return "".join(seen)


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    """One workspace through a user's life: own data built and published; a rebuild while a
    reader holds the published file; a dev build from the kept state; a dev build that would go
    stale; a failed build; a shrinking input; three builds killed part-way; a recovery."""
    root = tmp_path_factory.mktemp("publish")
    ws = Workspace(root)
    lines, truth = generate_shop(ShopConfig(customers=1_000, seed=11))
    orders = str(write_shop(lines, truth, root / "raw"))
    smaller = str(write_shop(*generate_shop(ShopConfig(customers=900, seed=11)), root / "smaller"))
    h = {"ws": ws, "orders": orders, "truth": truth}

    h["first_build"] = ws.make("build", ORDERS=orders)
    h["first"] = ws.published()

    reader = duckdb.connect(str(ws.out / "clv_bi.duckdb"), read_only=True)
    before = reader.execute("select * from clv_predictions order by customer_id").fetchall()
    build = ws.start("build", ORDERS=orders)
    seen_during_build = []
    while build.poll() is None:
        seen_during_build.append(reader.execute(
            "select (select run_id from published_run), (select count(*) from clv_predictions)").fetchone())  # fmt: skip
        time.sleep(0.5)
    h["second_build"] = (build.returncode, build.stdout.read())
    h["old_connection_after"] = (
        reader.execute("select run_id from published_run").fetchone()[0],
        reader.execute("select * from clv_predictions order by customer_id").fetchall(),
    )
    reader.close()  # before opening the file again: DuckDB shares one open file per path in a process
    h["second"] = ws.published()
    h["before"], h["seen_during_build"] = before, seen_during_build

    # the analyst loop: the kept state says int_customers_rfm_scored changed (as an edit would),
    # so the default selection state:modified+ rebuilds it and what reads it (the RFM mart, the
    # CLV models and their run history, the segments), keeping the sales marts
    manifest = json.loads((ws.state / "manifest.json").read_text())
    manifest["nodes"]["model.clv.int_customers_rfm_scored"]["raw_code"] += "\n-- edited"
    (ws.state / "manifest.json").write_text(json.dumps(manifest))
    h["dev"] = ws.make("dev")
    h["third"] = ws.published()
    h["before_stale"] = ws.fingerprint()
    h["stale"] = ws.make("dev", SELECT="customer_rfm")
    h["after_stale"] = ws.fingerprint()

    h["failed"] = invoke_dbt("build", root, ws.db, {"orders_path": str(smaller), "clv_gate_severity": "error",
                                                    "clv_max_aggregate_error": 0.0001})  # fmt: skip
    h["publish_failed"] = ws.make("publish", ALLOW_SHRINK=1)
    # a complete build, refused for shrinking: target/ now says success, the kills below start from it
    h["shrink"] = ws.make("build", ORDERS=smaller)
    h["after_shrink"] = ws.fingerprint()

    # SIGKILL part-way: early (the sales marts), late (the predictions), at the very end
    h["kills"] = {}
    # Every model built and stamped, only the build's end missing: killed as the last model is
    # written, while its tests run (the on-run-end hooks take milliseconds, too few to hit).
    models = len(re.findall(r"OK created .*model ", h["first_build"].stdout))
    for point, (pattern, times) in {"after fct_sales": (r"OK created .*model marts\.fct_sales", 1),
                                    "after clv_predictions": (r"OK created .*model marts\.clv_predictions", 1),
                                    "after the last model": (r"OK created .*model ", models)}.items():  # fmt: skip
        before = ws.fingerprint()
        output = kill_when(ws, pattern, times, ORDERS=smaller, ALLOW_SHRINK=1)
        refused = ws.make("publish", ALLOW_SHRINK=1)
        h["kills"][point] = (output, refused, before, ws.fingerprint())
    h["recovered"] = ws.make("build", ORDERS=smaller, ALLOW_SHRINK=1)
    h["last"] = ws.published()
    h["report"] = write_report(ws.db, root / "reports" / "clv_report.html", ws.out)
    return h


def test_make_build_publishes_own_data(history):
    ws, (run_id, _) = history["ws"], history["first"]
    assert history["first_build"].returncode == 0, history["first_build"].stdout[-3000:]
    with duckdb.connect(str(ws.out / "clv_bi.duckdb"), read_only=True) as con:
        vars_json, rows = con.execute("select vars_json, rows_json from published_runs where run_id = ?",
                                      [run_id]).fetchone()  # fmt: skip
    assert json.loads(vars_json) == {"orders_path": history["orders"]}
    assert (
        json.loads(rows)["dim_customers"] == history["truth"]["customers_with_lines"]
    )  # the shop's, not the demo's


def test_a_build_succeeds_while_a_reader_holds_the_published_file(history):
    returncode, output = history["second_build"]
    assert returncode == 0, output[-3000:]
    assert "Conflicting lock" not in output
    assert len(history["seen_during_build"]) >= 5  # the reader queried all through the build


def test_the_reader_sees_the_old_run_until_the_build_ends_and_the_new_one_after(history):
    (first, _), (second, _) = history["first"], history["second"]
    assert second != first
    customers = len(history["before"])  # the first run's predictions
    # during the build: the old run, whole; a connection opened before the swap keeps it
    assert set(history["seen_during_build"]) == {(first, customers)}
    assert history["old_connection_after"] == (first, history["before"])


def test_a_duckdb_1x_client_reads_the_published_file_from_a_copied_folder(history, tmp_path):
    if not BI_CLIENT.exists():
        pytest.skip("no DuckDB 1.x client: `make test` installs it (make bi-client)")
    ws = history["ws"]
    moved = tmp_path / "bi_server" / "clv"
    shutil.copytree(ws.out, moved, symlinks=True)
    away = ws.out.with_name("published_away")
    ws.out.rename(away)  # the original is gone while the copy is read
    try:
        script = (
            "import duckdb, json, sys\n"
            "con = duckdb.connect(sys.argv[1] + '/clv_bi.duckdb', read_only=True)\n"
            "print(json.dumps([duckdb.__version__, con.execute('select run_id from published_run').fetchone()[0],"
            " con.execute('select count(*), sum(predicted_clv) from clv_predictions').fetchone(),"
            " con.execute('select count(*) from fct_sales').fetchone()[0],"
            ' duckdb.sql("select count(*) from \'" + sys.argv[1] + "/current/clv_predictions.parquet\'").fetchone()[0]'
            "]))\n"
        )
        done = subprocess.run([str(BI_CLIENT), "-c", script, str(moved)], capture_output=True, text=True)
    finally:
        away.rename(ws.out)
    assert done.returncode == 0, done.stderr[-2000:]
    version, run_id, (customers, clv), lines, parquet_rows = json.loads(done.stdout)
    assert version.startswith("1.")
    with duckdb.connect(str(ws.db), read_only=True) as con:
        expected = con.execute("select count(*), sum(predicted_clv) from marts.clv_predictions").fetchone()
    assert run_id == history["last"][0] and lines == history["last"][1]
    assert customers == parquet_rows == expected[0] and clv == pytest.approx(expected[1])


def test_make_dev_publishes_the_changed_tables_with_the_unchanged_ones_as_one_run(history):
    dev, ws = history["dev"], history["ws"]
    assert dev.returncode == 0, dev.stdout[-3000:] + dev.stderr[-2000:]
    (second, lines), (third, lines_after) = history["second"], history["third"]
    assert third != second and lines_after == lines
    with duckdb.connect(str(ws.db), read_only=True) as con:
        rebuilt = {r[0] for r in con.execute("select model_name from build_log.built_models where invocation_id = ?",
                                             [third]).fetchall()}  # fmt: skip
    assert {
        "int_customers_rfm_scored",
        "customer_rfm",
        "customer_segments",
        "clv_predictions",
        "clv_model_runs",
    } <= rebuilt
    assert not {"fct_sales", "dim_customers", "int_order_lines_flagged"} & rebuilt
    with duckdb.connect(str(ws.out / "clv_bi.duckdb"), read_only=True) as con:
        (builds,) = con.execute("select builds_json from published_runs where run_id = ?", [third]).fetchone()
    assert sorted(json.loads(builds)) == sorted([second, third])


def test_a_dev_build_that_leaves_readers_stale_publishes_nothing(history):
    stale = history["stale"]
    assert stale.returncode != 0
    assert "reads customer_rfm, which the dev build rebuilt" in stale.stderr
    assert "SELECT=customer_rfm+" in stale.stderr
    assert history["after_stale"] == history["before_stale"]


def test_a_shrinking_input_exits_non_zero_and_keeps_the_last_run(history):
    shrink = history["shrink"]
    assert shrink.returncode != 0
    assert re.search(r"kept order lines [\d,]+ -> [\d,]+; customers 1,0\d\d -> 9\d\d", shrink.stderr), (
        shrink.stderr
    )
    assert "ALLOW_SHRINK=1" in shrink.stderr
    assert history["after_shrink"] == history["before_stale"]  # still the dev run


def test_a_failed_build_publishes_nothing(history):
    assert history["failed"].returncode != 0  # the strict gate failed the build part-way
    refused = history["publish_failed"]
    assert refused.returncode != 0 and "the build did not succeed" in refused.stderr


@pytest.mark.parametrize("point", ["after fct_sales", "after clv_predictions", "after the last model"])
def test_a_killed_build_never_publishes_a_mix(history, point):
    """After a complete build that was refused (target/ says success), a build of the same
    input is killed at `point`: publish refuses and the readers keep their run."""
    output, refused, before, after = history["kills"][point]
    assert refused.returncode != 0
    assert "did not finish (killed?)" in refused.stderr, refused.stderr
    assert after == before
    if point != "after the last model":
        table = point.split()[-1]
        assert table in refused.stderr.split("after rebuilding")[1]


def test_after_the_kills_a_complete_build_publishes_and_the_history_marks_what_was_not(history):
    recovered, ws = history["recovered"], history["ws"]
    assert recovered.returncode == 0, recovered.stdout[-3000:] + recovered.stderr[-2000:]
    with duckdb.connect(str(ws.out / "clv_bi.duckdb"), read_only=True) as con:
        published = [
            r[0] for r in con.execute("select run_id from published_runs order by published_at").fetchall()
        ]
    assert published == [history[k][0] for k in ("first", "second", "third", "last")]
    with duckdb.connect(str(ws.out / "clv_bi.duckdb"), read_only=True) as con:
        marked = dict(
            con.execute("select run_id, bool_and(is_published) from clv_model_runs group by 1").fetchall()
        )
    assert sorted(r for r, yes in marked.items() if yes) == sorted(published) and len(marked) > len(published)
    with duckdb.connect(str(ws.db), read_only=True) as con:
        builds = con.execute("select count(distinct run_id) from ml.clv_model_runs").fetchone()[0]
    title = re.search(r"Run history: (\d+) build\(s\), (\d+) published", history["report"].read_text())
    assert title and (int(title[1]), int(title[2])) == (builds, 4) and builds > 4


def test_metricflow_reads_the_published_copy_while_a_build_holds_the_build_file(history):
    ws = history["ws"]
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "CLV_DUCKDB_PATH": str(ws.db)}
    command = [MF, "query", "--metrics", "customers", "--group-by", "customer__rfm_segment", "--csv"]
    # mf reads the project's target/ only: the build's semantic manifest, put there atomically
    staged = REPO / "target" / f".semantic_manifest.{os.getpid()}.json"
    staged.parent.mkdir(exist_ok=True)
    shutil.copy(ws.root / "target" / "semantic_manifest.json", staged)
    os.replace(staged, REPO / "target" / "semantic_manifest.json")
    holder = duckdb.connect(str(ws.db))  # as a running build does: a write lock on clv.duckdb
    try:
        locked = subprocess.run([*command, str(ws.root / "locked.csv")], cwd=REPO, env=env, capture_output=True,
                                text=True, timeout=300)  # fmt: skip
        published = subprocess.run(
            [*command, str(ws.root / "published.csv")], cwd=REPO, capture_output=True, text=True, timeout=300,
            env={**env, "DBT_TARGET": "published", "CLV_PUBLISHED_DIR": str(ws.out)},
        )  # fmt: skip
    finally:
        holder.close()
    assert locked.returncode != 0 and "lock" in (locked.stdout + locked.stderr).lower()
    assert published.returncode == 0, published.stdout[-2000:] + published.stderr[-2000:]
    with duckdb.connect(str(ws.out / "clv_bi.duckdb"), read_only=True) as con:
        customers = con.execute("select count(*) from customer_rfm").fetchone()[0]
    assert pd.read_csv(ws.root / "published.csv")["customers"].sum() == customers


def test_connection_help_names_the_published_file_and_both_client_generations(history):
    printed = connection_help(history["ws"].out)
    database = history["ws"].out.resolve() / "clv_bi.duckdb"
    assert f"ATTACH '{database}' AS clv (READ_ONLY)" in printed
    assert f"duckdb:///{database}?access_mode=read_only" in printed  # Superset (duckdb-engine)
    assert "DuckDB 1.0+ and 2.x" in printed


def test_the_report_renders_every_chart_in_a_headless_browser(history, tmp_path):
    report = history["report"]
    text = report.read_text()
    # self-contained: nothing is fetched at view time (SVG's xmlns URIs are names, not fetches)
    assert not re.search(r"""(?:src|href)\s*=\s*["']https?:|url\(\s*["']?https?:|@import|<link""", text)
    # for a marketing reader: no raw JSON, models in words, a sentence under each chart, the tables
    assert '{"repeat"' not in text and "btyd_own_spend" not in text
    assert text.count("<figcaption>") == len(CHARTS)
    assert "Budget by CLV tier" in text and "Actions by tier and segment" in text and "Glossary" in text
    if chromium() is None:
        pytest.skip(
            "no chromium on PATH: `make test` installs Debian's package as root; apt-get install chromium"
        )
    screenshot = tmp_path / "report.png"
    checked = open_in_browser(report, screenshot)
    assert checked == {"charts-expected": str(len(CHARTS)), "charts-rendered": str(len(CHARTS)),
                       "script-errors": "0"}  # fmt: skip
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 50_000

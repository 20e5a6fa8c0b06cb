"""`make bench`: the whole `dbt build` at growing sizes, against the pandas + lifetimes route.

Per size (order lines): generate the demo shop (fixed seed, Parquet chunks), run a full
`dbt build` into a fresh DuckDB file, and record wall seconds, peak memory, seconds per dbt
node and rows per table; then time the reference route on the same clean transactions and
compare its fitted parameters with ours. Twice by default (--repeats): see bench(). Writes
benchmarks/results.json and results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import yaml

from python_utils import btyd
from python_utils.tools.synth import ShopConfig, generate_shop, write_chunked_shop

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORK = REPO / "benchmarks" / "work"
RESULTS = REPO / "benchmarks" / "results.json"
# dbt nodes that make the RFM summary the BTYD models fit on, from fct_sales (the reference
# starts from the same clean lines): the purchase-day view and customer_rfm. With the BG/NBD
# and Gamma-Gamma fit seconds clv_model_fits records (the two run side by side, so the longer
# one) and the seconds of python_utils.btyd.predict_btyd (what clv_predictions calls) on the
# same customers, they are "our RFM + BTYD part", compared with the reference route.
RFM_NODES = ("model.int_customer_order_days", "model.customer_rfm")
PYTHON_MODELS = tuple(sorted(p.stem for p in (REPO / "models").rglob("*.py")))
SEED = 42


def run_measured(args: list[str], env: dict, timeout: float | None = None) -> dict:
    """Run a command in a child that reports its own children's peak RSS (KiB on Linux) and
    CPU seconds (user + system)."""
    probe = (
        "import json, resource, subprocess, sys;"
        "r = subprocess.run(sys.argv[1:]);"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'rc': r.returncode, 'maxrss_kib': u.ru_maxrss,"
        " 'cpu_seconds': u.ru_utime + u.ru_stime}))"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    wall = time.perf_counter() - started
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {"wall_seconds": wall, "stdout": done.stdout, "stderr": done.stderr, **report}


def machine_check() -> float:
    """Seconds of a fixed DuckDB query on both cores, taken before each build: this machine's
    speed drifts by a third between minutes, and this says how fast the minute of a run was.
    Comparable between runs on one host only: on another CPU the same query can take more than
    twice as long while dbt builds no slower (1.8-2.4 s on the host of 2026-12-03, 5.4 s on the
    AMD EPYC of 2026-12-06)."""
    started = time.perf_counter()
    duckdb.connect().sql("select sum(hash(i) % 7) from range(300000000) as numbers (i)").fetchall()
    return round(time.perf_counter() - started, 2)


def lines_per_customer() -> float:
    _, truth = generate_shop(ShopConfig(customers=20_000, seed=SEED))
    return truth["raw_lines"] / truth["customers_with_orders"]


def generate(size: int, ratio: float) -> tuple[Path, dict]:
    out = WORK / str(size) / "raw"
    customers = max(1_000, round(size / ratio))
    truth_path = out / "truth.json"
    if truth_path.exists() and json.loads(truth_path.read_text())["config"]["customers"] == customers:
        return out, json.loads(truth_path.read_text())
    shutil.rmtree(out, ignore_errors=True)
    truth = write_chunked_shop(ShopConfig(customers=customers, seed=SEED), out, 250_000, "parquet")
    return out, truth


def pandas_rows(log: Path) -> dict[str, int]:
    """The most rows each dbt Python model held in pandas at once (python_utils.io logs every
    frame it hands a model when CLV_PANDAS_ROWS_LOG is set)."""
    most: dict[str, int] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        entry = json.loads(line)
        most[entry["model"]] = max(most.get(entry["model"], 0), entry["rows"])
    return dict(sorted(most.items()))


def dbt_command(size: int, raw: Path, verb: str) -> tuple[list[str], dict]:
    """dbt ``verb`` on the size's own DuckDB file and target folder (so its parse is kept)."""
    workdir = WORK / str(size)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO),
        "CLV_DUCKDB_PATH": str(workdir / "clv.duckdb"),
        "CLV_PANDAS_ROWS_LOG": str(workdir / "pandas_rows.jsonl"),
    }
    args = [
        str(BIN / "dbt"), verb, "--project-dir", str(REPO),
        "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs"),
        "--vars", json.dumps({"orders_path": str(raw / "orders-*.parquet")}),
    ]  # fmt: skip
    return args, env


def parse_project(size: int, raw: Path) -> None:
    """`dbt parse` before the timed builds: each build then starts from the kept parse, as every
    build after a project's first does. Parsing the whole project (about 5 s on this machine)
    costs the same at every size, and otherwise only a size's first run would pay it."""
    args, env = dbt_command(size, raw, "parse")
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{done.stdout[-4000:]}")


def dbt_build(size: int, raw: Path) -> dict:
    args, env = dbt_command(size, raw, "build")
    db = Path(env["CLV_DUCKDB_PATH"])
    db.unlink(missing_ok=True)
    rows_log = Path(env["CLV_PANDAS_ROWS_LOG"])
    rows_log.unlink(missing_ok=True)
    run = run_measured(args, env)
    if run["rc"] != 0:
        raise RuntimeError(f"dbt build failed at {size:,} lines:\n{run['stdout'][-4000:]}")
    results = json.loads((WORK / str(size) / "target" / "run_results.json").read_text())
    # Keys like "model.fct_sales" or "test.unique_fct_sales_order_line_id" (tests are hashed when long).
    nodes = {}
    for r in results["results"]:
        kind, _, name = r["unique_id"].split(".", 2)
        nodes[f"{kind}.{name}"] = round(r["execution_time"], 2)
    return {"db": db, "run": run, "node_seconds": nodes, "pandas_rows": pandas_rows(rows_log)}


def warehouse_facts(db: Path, export_to: Path) -> dict:
    with duckdb.connect(str(db)) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('marts', 'ml', 'intermediate') and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        rows = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}
        (as_of, horizon) = con.execute(
            "select as_of_date, horizon_days from intermediate.int_as_of_date"
        ).fetchone()
        fits = dict(
            con.execute(
                "select model_name, parameters_json from ml.clv_model_fits where snapshot_name = 'scoring'"
            ).fetchall()
        )
        rfm = con.execute(
            "select frequency, recency_days, t_days, monetary_value from marts.customer_rfm"
        ).df()
        fit_seconds = dict(
            con.execute(
                "select model_name, fit_seconds from ml.clv_model_fits where snapshot_name = 'scoring'"
            ).fetchall()
        )
        # Purchases only, as a lifetimes user would feed it (credit days are not purchase days).
        clean = "select customer_id, order_date, net_amount from marts.fct_sales where is_purchase"
        con.execute(f"copy ({clean}) to '{export_to}' (format parquet)")
        (raw_lines,) = con.execute(
            "select (select count(*) from marts.fct_sales)"
            " + (select count(*) from intermediate.int_order_lines_rejected)"
        ).fetchone()
    params = {**json.loads(fits["bgnbd"]), **json.loads(fits["gamma_gamma"])}
    started = time.perf_counter()
    btyd.predict_btyd(
        json.loads(fits["bgnbd"]), json.loads(fits["gamma_gamma"]), rfm["frequency"],
        rfm["recency_days"], rfm["t_days"], rfm["monetary_value"], int(horizon),
    )  # fmt: skip
    predict_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "as_of_date": str(as_of),
        "horizon_days": int(horizon),
        "params": params,
        "btyd_fit_seconds": max(fit_seconds["bgnbd"], fit_seconds["gamma_gamma"]),
        "btyd_predict_seconds": predict_seconds,
        "raw_lines": raw_lines,
    }


def reference(transactions: Path, as_of: str, horizon: int, timeout: float) -> dict:
    args = [
        sys.executable,
        str(REPO / "benchmarks" / "reference_lifetimes.py"),
        str(transactions),
        as_of,
        str(horizon),
    ]
    try:
        run = run_measured(args, dict(os.environ), timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if run["rc"] != 0:
        return {"error": (run["stderr"] or run["stdout"])[-500:]}
    report = json.loads([line for line in run["stdout"].splitlines() if line.startswith("{")][0])
    return report | {"peak_rss_mib": run["maxrss_kib"] / 1024}


def same_to_3_digits(ours: dict, theirs: dict) -> bool:
    return all(f"{ours[k]:.3g}" == f"{theirs[k]:.3g}" for k in ("r", "alpha", "a", "b", "p", "q", "v"))


def one_run(size: int, raw: Path, reference_timeout: float, with_reference: bool) -> dict:
    """One full build into a fresh DuckDB file, then the reference route on its clean lines."""
    check = machine_check()
    build = dbt_build(size, raw)
    facts = warehouse_facts(build["db"], WORK / str(size) / "fct_sales.parquet")
    rfm_seconds = sum(build["node_seconds"].get(n, 0.0) for n in RFM_NODES)
    ours = rfm_seconds + facts["btyd_fit_seconds"] + facts["btyd_predict_seconds"]
    ref = (
        reference(WORK / str(size) / "fct_sales.parquet", facts["as_of_date"], facts["horizon_days"],
                  reference_timeout)
        if with_reference
        else {"error": "not run at this size (--reference-max-lines)"}
    )  # fmt: skip
    return {"build": build, "facts": facts, "rfm_seconds": rfm_seconds, "ours": ours, "ref": ref,
            "machine_check_seconds": check}  # fmt: skip


def bench(
    size: int, ratio: float, reference_timeout: float, repeats: int, with_reference: bool = True
) -> dict:
    """``repeats`` runs of (build, reference). This machine's speed drifts by a third between
    minutes, so each route is judged by its best run, as timeit does; the build's wall time
    and memory are the worst run's, for the targets."""
    print(f"== {size:,} order lines", flush=True)
    raw, truth = generate(size, ratio)
    parse_project(size, raw)
    runs = [one_run(size, raw, reference_timeout, with_reference) for _ in range(repeats)]
    slowest = max(runs, key=lambda r: r["build"]["run"]["wall_seconds"])
    best = min(runs, key=lambda r: r["ours"])
    references = [r["ref"] for r in runs if r["ref"].get("total_seconds") is not None]
    ref = min(references, key=lambda r: r["total_seconds"]) if references else runs[-1]["ref"]
    ref_seconds = ref.get("total_seconds")
    facts = best["facts"]
    result = {
        "order_lines": facts["raw_lines"],
        "customers": truth["customers_with_orders"],
        "wall_seconds": round(slowest["build"]["run"]["wall_seconds"], 1),
        "peak_rss_mib": round(max(r["build"]["run"]["maxrss_kib"] for r in runs) / 1024, 1),
        "node_seconds": slowest["build"]["node_seconds"],
        "pandas_rows": slowest["build"]["pandas_rows"],
        "slowest_python_node_seconds": max(
            (
                v
                for k, v in slowest["build"]["node_seconds"].items()
                if k.removeprefix("model.") in PYTHON_MODELS
            ),
            default=None,
        ),
        "rows_per_table": facts["rows"],
        "rfm_btyd_seconds": round(best["ours"], 2),
        "rfm_btyd_steps": {
            "rfm_sql_nodes": round(best["rfm_seconds"], 2),
            "btyd_fit": round(facts["btyd_fit_seconds"], 2),
            "btyd_predict": round(facts["btyd_predict_seconds"], 2),
        },
        "reference_seconds": round(ref_seconds, 2) if ref_seconds is not None else None,
        "reference_error": ref.get("error"),
        "reference_steps": {k: round(v, 2) for k, v in ref.get("seconds", {}).items()},
        "reference_peak_rss_mib": round(ref["peak_rss_mib"], 1) if "peak_rss_mib" in ref else None,
        "speedup_vs_lifetimes": round(ref_seconds / best["ours"], 2) if ref_seconds else None,
        "params": facts["params"],
        "reference_params": ref.get("params"),
        "params_match_3_digits": same_to_3_digits(facts["params"], ref["params"])
        if "params" in ref
        else None,
        "runs": [
            {
                "wall_seconds": round(r["build"]["run"]["wall_seconds"], 1),
                "cpu_seconds": round(r["build"]["run"]["cpu_seconds"], 1),
                "machine_check_seconds": r["machine_check_seconds"],
                "rfm_btyd_seconds": round(r["ours"], 2),
                "reference_seconds": round(r["ref"]["total_seconds"], 2)
                if "total_seconds" in r["ref"]
                else None,
            }
            for r in runs
        ],
    }
    print(
        json.dumps({k: v for k, v in result.items() if k not in ("node_seconds", "rows_per_table")}),
        flush=True,
    )
    return result


def _near(results: list[dict], lines: int) -> dict | None:
    return next((r for r in results if abs(r["order_lines"] - lines) < lines * 0.05), None)


# The vars that bound how many rows a Python model holds: its samples and batch sizes.
ROW_BOUNDS = ("backtest_sample_size", "xgboost_sample_size", "cox_sample_size", "segmentation_sample_size",
              "scoring_batch_size", "btyd_max_fit_rows")  # fmt: skip


def row_bound() -> int:
    """The largest of ROW_BOUNDS as dbt_project.yml sets them."""
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    return max(int(project["vars"][name]) for name in ROW_BOUNDS)


def targets(results: list[dict]) -> list[str]:
    """The targets of the warehouse-scale work (issue 12): each with the measured value and
    whether it is met; sizes not in the results are left out."""
    base, large = _near(results, 10_000_000), _near(results, 30_000_000)
    checks: list[tuple[str, object, str, object]] = []  # (what, measured, comparison, target)
    if base:
        checks += [
            ("10M lines: dbt build (s)", base["wall_seconds"], "<=", 90),
            ("10M lines: peak RSS (MiB)", base["peak_rss_mib"], "<=", 3 * 1024),
            ("10M lines: RFM + BTYD speedup over the lifetimes route", base["speedup_vs_lifetimes"], ">=", 4),
            ("10M lines: same parameters (3 digits)", base["params_match_3_digits"], "==", True),
            ("10M lines: slowest Python node (s)", base["slowest_python_node_seconds"], "<=", 8),
        ]  # fmt: skip
    if base and large:
        base_rows, bound = base.get("pandas_rows", {}), row_bound()
        growing = sorted(
            m for m, n in large.get("pandas_rows", {}).items() if n > max(base_rows.get(m, 0), bound)
        )
        checks += [
            ("30M lines: dbt build, times the 10M one", round(large["wall_seconds"] / base["wall_seconds"], 2), "<=", 3.2),
            ("30M lines: peak RSS (MiB)", large["peak_rss_mib"], "<=", 6 * 1024),
            (f"Python models holding more rows at 30M lines than at 10M and than {bound:,} (the largest "
             f"of {', '.join(ROW_BOUNDS)})", ", ".join(growing) or "none", "==", "none"),
        ]  # fmt: skip
    compare = {"<=": lambda a, b: a is not None and a <= b, ">=": lambda a, b: a is not None and a >= b,
               "==": lambda a, b: a == b}  # fmt: skip
    lines = ["| what | measured | target | met |", "|---|---|---|---|"]
    return lines + [
        f"| {what} | {measured} | {op} {target} | {'yes' if compare[op](measured, target) else 'no'} |"
        for what, measured, op, target in checks
    ]


def markdown(results: list[dict]) -> str:
    columns = (
        "order lines", "customers", "dbt build (s)", "peak RSS (MiB)", "RFM + BTYD (s)",
        "lifetimes route (s)", "speedup", "same params (3 digits)",
    )  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in results:
        error = str(r.get("reference_error"))
        ref = (
            f"{r['reference_seconds']}"
            if r["reference_seconds"] is not None
            else ("not run" if error.startswith("not run") else f"failed: {error}")
        )
        lines.append(
            f"| {r['order_lines']:,} | {r['customers']:,} | {r['wall_seconds']} | {r['peak_rss_mib']} | "
            f"{r['rfm_btyd_seconds']} | {ref} | {r['speedup_vs_lifetimes']} | {r['params_match_3_digits']} |"
        )
    lines += [
        "",
        "Each run (RFM + BTYD s / lifetimes route s / dbt build s, with the build's CPU seconds and"
        " the machine check: seconds of a fixed DuckDB query just before it, lower on a faster minute"
        " of the same host);"
        " the table takes each route's best run:",
        "",
    ]
    for r in results:
        runs = ", ".join(
            f"{run['rfm_btyd_seconds']} / {run['reference_seconds']} / {run['wall_seconds']}"
            + (
                f" (CPU {run['cpu_seconds']}, check {run['machine_check_seconds']})"
                if "cpu_seconds" in run
                else ""
            )
            for run in r.get("runs", [])
        )
        lines.append(f"- {r['order_lines']:,} lines: {runs or 'one run (older result)'}")
    with_rows = [r for r in results if r.get("pandas_rows")]
    if with_rows:
        models = sorted({m for r in with_rows for m in r["pandas_rows"]})
        lines += [
            "",
            "Most rows each dbt Python model held in pandas at once (the slowest Python node's seconds last):",
            "",
        ]
        lines += ["| model | " + " | ".join(f"{r['order_lines']:,} lines" for r in with_rows) + " |",
                  "|---|" + "---|" * len(with_rows)]  # fmt: skip
        lines += [
            f"| {m} | " + " | ".join(f"{r['pandas_rows'].get(m, 0):,}" for r in with_rows) + " |"
            for m in models
        ]
        lines += ["| slowest Python node (s) | " + " | ".join(str(r.get("slowest_python_node_seconds")) for r in with_rows)
                  + " |"]  # fmt: skip
    lines += ["", "Targets (issue 12):", "", *targets(results)]
    slowest = max(results, key=lambda r: r["order_lines"])
    top = sorted(slowest["node_seconds"].items(), key=lambda kv: -kv[1])[:12]
    lines += ["", f"Slowest dbt nodes at {slowest['order_lines']:,} lines (seconds):", ""]
    lines += [f"- `{name}`: {seconds}" for name, seconds in top]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000, 30_000_000])
    parser.add_argument("--reference-timeout", type=float, default=1800)
    parser.add_argument("--repeats", type=int, default=2, help="runs of (build, reference) per size")
    parser.add_argument(
        "--reference-max-lines", type=int, default=10_000_000,
        help="larger sizes run once, without the lifetimes route (it shows how cost grows)",
    )  # fmt: skip
    parser.add_argument("--markdown-only", action="store_true", help="rewrite results.md from results.json")
    args = parser.parse_args()
    if args.markdown_only:
        (REPO / "benchmarks" / "results.md").write_text(markdown(json.loads(RESULTS.read_text())))
        return
    ratio = lines_per_customer()
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    fresh = [
        bench(size, ratio, args.reference_timeout, args.repeats, with_reference=True)
        if size <= args.reference_max_lines
        else bench(size, ratio, args.reference_timeout, 1, with_reference=False)
        for size in sorted(args.sizes)
    ]
    kept = {round(r["order_lines"], -4): r for r in previous}
    kept |= {round(r["order_lines"], -4): r for r in fresh}
    results = sorted(kept.values(), key=lambda r: r["order_lines"])
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    (REPO / "benchmarks" / "results.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()

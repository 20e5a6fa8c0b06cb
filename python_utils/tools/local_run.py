"""`make build` and `make dev`: a dbt build on the local DuckDB file, then publish it
(python_utils/tools/publish.py), then keep its manifest as the state `state:modified+` compares with.

    build  every model on the orders given (a file or glob; default: the project's
           orders_path, the demo shop) with the vars given
    dev    only what a change touches (default selection `state:modified+`), with the vars of
           the last published run, so the rebuilt tables and the unchanged ones of that run are
           one consistent run (publish checks it) and are published together
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from python_utils.tools.publish import last_published, publish_or_exit


def dbt_build(arguments: list[str]) -> None:
    """`dbt build` with ``arguments``; exit non-zero when it fails (nothing is published then)."""
    if subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", *arguments]).returncode != 0:
        raise SystemExit("the build failed: nothing published; readers keep the last published run")


def publish_and_keep_state(args) -> None:
    published = publish_or_exit(args.database, args.out, args.allow_shrink, args.shrink_tolerance)
    # dbt wrote the manifest when the build began: the code of the run just published
    args.state.mkdir(parents=True, exist_ok=True)
    shutil.copy(
        Path(os.environ.get("DBT_TARGET_PATH", "target")) / "manifest.json", args.state / "manifest.json"
    )
    print(f"published run {published.run_id} to {args.out}: "
          + ", ".join(f"{k} {v:,}" for k, v in published.rows.items()))  # fmt: skip


def build(args) -> None:
    given = dict(json.loads(args.vars)) if args.vars else {}
    if args.orders:
        given["orders_path"] = args.orders
    dbt_build(["--vars", json.dumps(given)] if given else [])
    publish_and_keep_state(args)


def dev(args) -> None:
    last = last_published(args.out.resolve())
    if last is None:
        raise SystemExit(f"nothing is published in {args.out} yet: run `make build` first")
    selection = ["--select", *args.select.split()]
    if "state:" in args.select:
        if not (args.state / "manifest.json").exists():
            raise SystemExit(f"no state in {args.state}/ to compare with: run `make build` first")
        selection += ["--state", str(args.state)]
    print(f"dev build on top of published run {last['run_id']}, with its vars {last['vars_json']}")
    dbt_build([*selection, "--vars", last["vars_json"]])
    publish_and_keep_state(args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "dev"])
    parser.add_argument("--orders", help="the orders file or glob (build)")
    parser.add_argument("--vars", help="more dbt vars as JSON (build)")
    parser.add_argument("--select", default="state:modified+", help="what to rebuild (dev)")
    parser.add_argument(
        "--database", type=Path, default=Path(os.environ.get("CLV_DUCKDB_PATH", "clv.duckdb"))
    )
    parser.add_argument(
        "--state", type=Path, default=Path(".state"), help="where the published build's manifest is kept"
    )
    parser.add_argument("--out", type=Path, default=Path("published"))
    parser.add_argument("--allow-shrink", action="store_true")
    parser.add_argument("--shrink-tolerance", type=float, default=0.0)
    args = parser.parse_args()
    {"build": build, "dev": dev}[args.command](args)


if __name__ == "__main__":
    main()

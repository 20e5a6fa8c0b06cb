"""The real CDNOW data shipped inside ``lifetimes``, converted to this project's raw columns.

CDNOW_master.txt: 69,659 transactions of 23,570 customers, 1997-01-01 .. 1998-06-30, with
columns customer id, date (YYYYMMDD), number of CDs and dollar value (some are zero).
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import pandas as pd


def cdnow_master_path() -> Path:
    """Path of CDNOW_master.txt inside the installed lifetimes package."""
    return Path(str(resources.files("lifetimes") / "datasets" / "CDNOW_master.txt"))


def load_cdnow_order_lines(path: Path | None = None) -> pd.DataFrame:
    """CDNOW as order lines with columns order_id, customer_id, ordered_at, amount, quantity.

    Each CDNOW row becomes one order; same-day rows of a customer get distinct order ids.
    """
    raw = pd.read_csv(
        path or cdnow_master_path(),
        sep=r"\s+",
        header=0,  # the file has a header line: customer_id date number_of_cds dollar_value
        names=["customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    same_day_rank = raw.groupby(["customer_id", "date"]).cumcount() + 1
    ordered_at = pd.to_datetime(raw["date"], format="%Y%m%d")
    return pd.DataFrame(
        {
            "order_id": raw["customer_id"] + "-" + raw["date"] + "-" + same_day_rank.astype(str),
            "customer_id": raw["customer_id"],
            "ordered_at": ordered_at.dt.strftime("%Y-%m-%d"),
            "amount": raw["amount"],
            "quantity": raw["quantity"],
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write CDNOW_master as raw order lines (CSV).")
    parser.add_argument("--out", type=Path, default=Path("data/cdnow/orders.csv"))
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lines = load_cdnow_order_lines()
    lines.to_csv(args.out, index=False)
    print(f"wrote {len(lines):,} CDNOW order lines to {args.out}")


if __name__ == "__main__":
    main()

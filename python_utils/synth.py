"""Deterministic demo shop: customers drawn from a known buy-till-you-die process.

Purchases follow BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys at a Poisson
rate ``lambda ~ Gamma(r, alpha)`` (per day) and, after each *repeat* purchase, drops out with
probability ``p ~ Beta(a, b)``. The net amount of each order follows Gamma-Gamma:
``z ~ Gamma(p, nu)``, ``nu ~ Gamma(q, v)`` (US dollars). The true parameters are written beside
the data so that fitted models can be checked against them.

Dirty rows are *added* on top of the clean order lines (never by corrupting clean ones), so the
clean data still follows the stated process and every dirty row is counted by kind.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

CHANNELS = np.array(["organic", "paid_search", "social", "email", "referral"])
CHANNEL_WEIGHTS = np.array([0.35, 0.25, 0.2, 0.1, 0.1])
REGIONS = np.array(["north_america", "europe", "united_kingdom", "asia_pacific"])
REGION_WEIGHTS = np.array([0.45, 0.3, 0.15, 0.1])
# Currency each region pays in, and US dollars per unit (must match seeds/currency_rates.csv).
REGION_CURRENCY = {
    "north_america": ("USD", 1.0),
    "europe": ("EUR", 1.08),
    "united_kingdom": ("GBP", 1.27),
    "asia_pacific": ("USD", 1.0),
}
PAYMENT_METHODS = np.array(["card", "paypal", "bank_transfer", "gift_card"])
PAYMENT_WEIGHTS = np.array([0.6, 0.25, 0.1, 0.05])
OUTPUT_COLUMNS = [
    "order_id",
    "line_number",
    "customer_id",
    "ordered_at",
    "amount",
    "currency",
    "discount_amount",
    "quantity",
    "product_id",
    "status",
    "channel",
    "region",
    "payment_method",
]
DIRTY_KINDS = (
    "missing_customer_id",
    "duplicate_line",
    "negative_amount",
    "zero_amount",
    "unparsable_ordered_at",
    "future_ordered_at",
    "unknown_currency",
)


@dataclass(frozen=True)
class TrueParams:
    """Ground truth of the simulated process. Rates are per day, money in US dollars."""

    r: float = 0.75
    alpha: float = 75.0
    a: float = 0.8
    b: float = 4.0
    p: float = 6.0
    q: float = 4.0
    v: float = 30.0


@dataclass(frozen=True)
class DirtyShares:
    """Dirty rows to add, as a share of the clean order lines (0.01 = 1%)."""

    missing_customer_id: float = 0.004
    duplicate_line: float = 0.006
    negative_amount: float = 0.002
    zero_amount: float = 0.003
    unparsable_ordered_at: float = 0.002
    future_ordered_at: float = 0.001
    unknown_currency: float = 0.002


@dataclass(frozen=True)
class ShopConfig:
    customers: int = 20_000
    id_prefix: str = ""  # distinguishes the ids of chunks generated separately
    start_date: str = "2023-01-01"
    days: int = 1096  # three years: 2023-01-01 .. 2025-12-31
    seed: int = 42
    discount_order_share: float = 0.25
    return_share: float = 0.03
    params: TrueParams = field(default_factory=TrueParams)
    dirty: DirtyShares = field(default_factory=DirtyShares)


def simulate_purchase_times(
    rng: np.random.Generator, customers: int, days: int, params: TrueParams
) -> tuple[np.ndarray, np.ndarray]:
    """Purchase times (days since the window start) of each customer under BG/NBD.

    Returns ``(customer_index, time_days)``, both of shape (n_purchases,). Vectorised over
    customers: the loop runs once per purchase number, on the customers still buying.
    """
    rate = rng.gamma(params.r, 1.0 / params.alpha, customers)
    dropout = rng.beta(params.a, params.b, customers)
    first = rng.uniform(0.0, days, customers)
    customer_chunks, time_chunks = [np.arange(customers)], [first]
    active, clock = np.arange(customers), first.copy()
    while active.size:
        next_time = clock[active] + rng.exponential(1.0 / rate[active])
        inside = next_time < days
        active, next_time = active[inside], next_time[inside]
        clock[active] = next_time
        customer_chunks.append(active)
        time_chunks.append(next_time)
        # BG/NBD: the customer may drop out right after each repeat purchase.
        active = active[rng.random(active.size) >= dropout[active]]
    return np.concatenate(customer_chunks), np.concatenate(time_chunks)


def _order_lines(rng: np.random.Generator, config: ShopConfig) -> pd.DataFrame:
    params = config.params
    n = config.customers
    cust, time_days = simulate_purchase_times(rng, n, config.days, params)
    order_sort = np.lexsort((time_days, cust))
    cust, time_days = cust[order_sort], time_days[order_sort]
    n_orders = cust.size

    # Gamma-Gamma net spend per order (US dollars); nu is the customer's rate.
    nu = rng.gamma(params.q, 1.0 / params.v, n)
    net_usd = rng.gamma(params.p, 1.0 / nu[cust])

    channel = rng.choice(CHANNELS, n, p=CHANNEL_WEIGHTS)
    region_idx = rng.choice(len(REGIONS), n, p=REGION_WEIGHTS)
    price_sensitive = rng.random(n) < 0.3
    discount_p = np.where(price_sensitive, config.discount_order_share * 2.5, 0.1)
    discounted = rng.random(n_orders) < np.clip(discount_p[cust], 0, 1)
    discount_rate = np.where(discounted, rng.choice([0.1, 0.15, 0.2, 0.3], n_orders), 0.0)
    gross_usd = net_usd / (1.0 - discount_rate)

    lines_per_order = rng.choice([1, 2, 3], n_orders, p=[0.6, 0.3, 0.1])
    order_of_line = np.repeat(np.arange(n_orders), lines_per_order)
    line_number = np.arange(order_of_line.size) - np.repeat(
        np.cumsum(lines_per_order) - lines_per_order, lines_per_order
    )
    # Split each order's gross amount across its lines.
    weights = rng.gamma(2.0, 1.0, order_of_line.size)
    weights /= np.bincount(order_of_line, weights)[order_of_line]
    line_cust = cust[order_of_line]
    currency_code = np.array([REGION_CURRENCY[r][0] for r in REGIONS])
    usd_rate = np.array([REGION_CURRENCY[r][1] for r in REGIONS])
    line_rate = usd_rate[region_idx[line_cust]]
    amount = np.round(gross_usd[order_of_line] * weights / line_rate, 2)
    discount = np.round(amount * discount_rate[order_of_line], 2)

    status = np.where(rng.random(n_orders) < config.return_share, "returned", "completed")
    start = np.datetime64(config.start_date, "s")
    ordered_at = start + (time_days[order_of_line] * 86_400).astype("timedelta64[s]")
    return pd.DataFrame(
        {
            "order_id": np.char.add(f"O{config.id_prefix}", (order_of_line + 1).astype(str)),
            "line_number": line_number + 1,
            "customer_id": np.char.add(f"C{config.id_prefix}", (line_cust + 1).astype(str)),
            "ordered_at": pd.to_datetime(ordered_at).strftime("%Y-%m-%d %H:%M:%S"),
            "amount": amount,
            "currency": currency_code[region_idx[line_cust]],
            "discount_amount": discount,
            "quantity": rng.choice([1, 1, 1, 2, 3], order_of_line.size),
            "product_id": np.char.add("P", rng.integers(1, 500, order_of_line.size).astype(str)),
            "status": status[order_of_line],
            "channel": channel[line_cust],
            "region": REGIONS[region_idx[line_cust]],
            "payment_method": rng.choice(PAYMENT_METHODS, order_of_line.size, p=PAYMENT_WEIGHTS),
        }
    )


def _dirty_rows(
    rng: np.random.Generator, clean: pd.DataFrame, shares: DirtyShares, id_prefix: str = ""
) -> pd.DataFrame:
    """Extra rows, each broken in exactly one way, labelled by ``dirty_kind``."""
    parts = []
    next_order = len(clean) * 10  # order ids far beyond the clean ones
    for kind in DIRTY_KINDS:
        count = int(round(getattr(shares, kind) * len(clean)))
        if count == 0:
            continue
        rows = clean.iloc[rng.integers(0, len(clean), count)].copy()
        if kind == "duplicate_line":
            pass  # an exact copy of an existing line
        elif kind == "zero_amount":
            # A free extra line on an existing order: valid, but worth zero dollars.
            rows["line_number"] = rows["line_number"] + 100 + np.arange(count)
            rows["amount"] = 0.0
            rows["discount_amount"] = 0.0
        else:
            rows["order_id"] = np.char.add(
                f"X{id_prefix}", np.arange(next_order, next_order + count).astype(str)
            )
            next_order += count
            if kind == "missing_customer_id":
                rows["customer_id"] = np.where(np.arange(count) % 2 == 0, None, "  ")
            elif kind == "negative_amount":
                rows["amount"] = -rows["amount"].abs() - 1.0
            elif kind == "unparsable_ordered_at":
                rows["ordered_at"] = np.where(np.arange(count) % 2 == 0, "not a date", "2024-13-45")
            elif kind == "future_ordered_at":
                rows["ordered_at"] = "2099-01-01 00:00:00"
            elif kind == "unknown_currency":
                rows["currency"] = "XTS"
        rows["dirty_kind"] = kind
        parts.append(rows)
    if not parts:
        return clean.iloc[0:0].assign(dirty_kind=pd.Series(dtype=str))
    return pd.concat(parts, ignore_index=True)


def generate_shop(config: ShopConfig) -> tuple[pd.DataFrame, dict]:
    """Order lines (clean and dirty, shuffled) and a truth dict describing them."""
    rng = np.random.default_rng(config.seed)
    clean = _order_lines(rng, config)
    dirty = _dirty_rows(rng, clean, config.dirty, config.id_prefix)
    lines = pd.concat([clean.assign(dirty_kind=None), dirty], ignore_index=True)
    lines = lines.iloc[rng.permutation(len(lines))].reset_index(drop=True)
    truth = {
        "config": {k: v for k, v in asdict(config).items() if k not in ("params", "dirty")},
        "true_params": asdict(config.params),
        "time_unit": "days",
        "money_unit": "USD",
        "clean_lines": int(len(clean)),
        "dirty_lines": {kind: int((dirty["dirty_kind"] == kind).sum()) for kind in DIRTY_KINDS},
        "raw_lines": int(len(lines)),
        "customers_with_orders": int(clean["customer_id"].nunique()),
    }
    return lines, truth


def _write_lines(lines: pd.DataFrame, path: Path, fmt: str) -> None:
    table = pa.Table.from_pandas(lines[OUTPUT_COLUMNS], preserve_index=False)
    if fmt == "csv":
        pa_csv.write_csv(table, path)
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        raise ValueError(f"unknown format {fmt!r}: use csv or parquet")


def write_shop(lines: pd.DataFrame, truth: dict, out_dir: Path, fmt: str = "csv") -> Path:
    """Write ``orders.<fmt>`` and ``truth.json`` into out_dir; return the data file's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"orders.{fmt}"
    _write_lines(lines, path, fmt)
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return path


def write_chunked_shop(config: ShopConfig, out_dir: Path, chunk_customers: int, fmt: str = "parquet") -> dict:
    """Generate a large shop in chunks of customers (bounded memory), one file per chunk
    (``orders-000.<fmt>``...), seeds ``seed + chunk``; returns the summed truth."""
    from dataclasses import replace

    out_dir.mkdir(parents=True, exist_ok=True)
    total: dict = {}
    chunks = -(-config.customers // chunk_customers)
    for chunk in range(chunks):
        size = min(chunk_customers, config.customers - chunk * chunk_customers)
        part = replace(config, customers=size, seed=config.seed + chunk, id_prefix=f"{chunk}-")
        lines, truth = generate_shop(part)
        _write_lines(lines, out_dir / f"orders-{chunk:03d}.{fmt}", fmt)
        for key in ("clean_lines", "raw_lines", "customers_with_orders"):
            total[key] = total.get(key, 0) + truth[key]
        total.setdefault("dirty_lines", {})
        for kind, count in truth["dirty_lines"].items():
            total["dirty_lines"][kind] = total["dirty_lines"].get(kind, 0) + count
        total |= {k: truth[k] for k in ("true_params", "time_unit", "money_unit")}
    total["config"] = {"customers": config.customers, "seed": config.seed, "chunks": chunks}
    (out_dir / "truth.json").write_text(json.dumps(total, indent=2) + "\n")
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the demo shop's raw order lines.")
    parser.add_argument("--customers", type=int, default=ShopConfig.customers)
    parser.add_argument("--seed", type=int, default=ShopConfig.seed)
    parser.add_argument("--out", type=Path, default=Path("data/raw"))
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--chunk-customers", type=int, default=250_000, help="customers per file")
    args = parser.parse_args(argv)
    if args.customers > args.chunk_customers:
        config = ShopConfig(customers=args.customers, seed=args.seed)
        truth = write_chunked_shop(config, args.out, args.chunk_customers, args.format)
        print(f"wrote {truth['raw_lines']:,} order lines to {args.out}/orders-*.{args.format}")
        return
    lines, truth = generate_shop(ShopConfig(customers=args.customers, seed=args.seed))
    path = write_shop(lines, truth, args.out, args.format)
    print(f"wrote {truth['raw_lines']:,} order lines ({truth['clean_lines']:,} clean) to {path}")


if __name__ == "__main__":
    main()

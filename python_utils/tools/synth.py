"""Deterministic demo shop: customers drawn from a known buy-till-you-die process.

Purchases follow BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys at a Poisson
rate ``lambda ~ Gamma(r, alpha)`` (per day) and, after each *repeat* purchase, drops out with
probability ``p ~ Beta(a, b)``. The net amount of each order follows Gamma-Gamma:
``z ~ Gamma(p, nu)``, ``nu ~ Gamma(q, v)`` (US dollars). The true parameters are written beside
the data so that fitted models can be checked against them.

Real logs are messier than the process, and the generator says so: returns arrive as negative
credit lines some days after the order (``credit_share``), some orders are marked returned or
cancelled in assorted spellings, statuses are spelled several ways, the file can lack
``line_number`` (``line_numbers=False``), and purchases can peak in December
(``seasonality``): the BG/NBD process runs in an operational clock that a seasonal calendar
stretches, so it stays exact there while calendar time gets the peak.

Real exports also repeat themselves and disagree on form, and the generator writes that too,
without changing what the data means: an earlier export (``reexport_days``) repeats the last
days' orders with the statuses they had then (a refund not yet issued), so the file set is a
glob whose latest file wins; a second shop's order numbers restart, so some order ids are shared
by two customers (``shared_order_id_share``); some times are written on a 12-hour clock
(``twelve_hour_share``); missing ids are spelled as exports spell them ("NULL", "n/a", a lone
zero-width space).

Dirty rows are *added* on top of the clean order lines (never by corrupting clean ones), so the
clean data still follows the stated process and every dirty row is counted by kind. Each dirty
kind is a reason of ``seeds/reject_reasons.csv`` (tested), except ``zero_amount`` (valid).
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from python_utils.tools.synth_exports import (
    DIRTY_KINDS,
    as_text,
    dirty_rows,
    earlier_export,
    share_order_ids,
    twelve_hour_times,
)

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
# Raw status spellings, each listed in seeds/order_statuses.csv.
COMPLETED_SPELLINGS = np.array(["completed", "Completed", "COMPLETE", "shipped", "paid"])
REVERSED_SPELLINGS = np.array(["returned", "Return", "refunded", "canceled", "cancelled"])
CREDIT_SPELLINGS = np.array(["completed", "refunded", "returned"])


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

    missing_order_id: float = 0.001
    missing_customer_id: float = 0.004
    unparsable_ordered_at: float = 0.002
    implausible_ordered_at: float = 0.001
    future_ordered_at: float = 0.001
    invalid_amount: float = 0.001
    non_finite_amount: float = 0.001
    unknown_currency: float = 0.002
    implausible_amount: float = 0.0005
    invalid_discount: float = 0.001
    invalid_quantity: float = 0.001
    invalid_line_number: float = 0.001
    unknown_status: float = 0.001
    duplicate_line: float = 0.006
    zero_amount: float = 0.003
    unreadable_line: float = 0.0005


@dataclass(frozen=True)
class ShopConfig:
    customers: int = 20_000
    id_prefix: str = ""  # distinguishes the ids of chunks generated separately
    start_date: str = "2023-01-01"
    days: int = 1096  # three years: 2023-01-01 .. 2025-12-31
    seed: int = 42
    discount_order_share: float = 0.25
    return_share: float = 0.03  # orders marked returned/cancelled (their lines earn nothing)
    credit_share: float = 0.04  # orders refunded later by a negative credit line
    line_numbers: bool = True  # False: the file has no line_number column
    seasonality: float = 0.0  # December peak: purchase intensity up to 1 + this around Dec 11
    # An earlier export, dated a week before the last day, repeats the orders of its last
    # reexport_days with the statuses they had then (0: one file).
    reexport_days: int = 14
    shared_order_id_share: float = 0.002  # orders whose id another customer's order also has
    twelve_hour_share: float = 0.05  # lines whose time is written on a 12-hour clock (AM/PM)
    params: TrueParams = field(default_factory=TrueParams)
    dirty: DirtyShares = field(default_factory=DirtyShares)


def seasonal_clock(start_date: str, days: int, seasonality: float) -> tuple[np.ndarray, np.ndarray]:
    """Operational time at each calendar day 0..days, for a purchase intensity that peaks
    around 11 December (Gaussian, sd 12 days) at ``1 + seasonality`` times the base and is
    scaled to average 1 over the calendar year. Returns (calendar_days, operational_days)."""
    calendar = np.arange(days + 1, dtype=float)
    day_of_year = (np.datetime64(start_date, "D") + calendar.astype("timedelta64[D]")).astype(object)
    doy = np.array([d.timetuple().tm_yday for d in day_of_year], dtype=float)
    year_doy = np.arange(1, 366, dtype=float)
    bump = lambda d: np.exp(-0.5 * ((d - 345.0) / 12.0) ** 2)  # noqa: E731
    intensity = (1.0 + seasonality * bump(doy)) / (1.0 + seasonality * bump(year_doy)).mean()
    operational = np.concatenate([[0.0], np.cumsum((intensity[:-1] + intensity[1:]) / 2.0)])
    return calendar, operational


def simulate_purchase_times(
    rng: np.random.Generator, customers: int, days: float, params: TrueParams
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
    if config.seasonality:
        calendar, operational = seasonal_clock(config.start_date, config.days, config.seasonality)
        cust, clock = simulate_purchase_times(rng, n, operational[-1], params)
        time_days = np.interp(clock, operational, calendar)
    else:
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

    reversed_order = rng.random(n_orders) < config.return_share
    status = np.where(
        reversed_order,
        rng.choice(REVERSED_SPELLINGS, n_orders),
        rng.choice(COMPLETED_SPELLINGS, n_orders, p=[0.6, 0.1, 0.1, 0.1, 0.1]),
    )
    start = np.datetime64(config.start_date, "s")
    ordered_at = start + (time_days[order_of_line] * 86_400).astype("timedelta64[s]")
    lines = pd.DataFrame(
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
    return pd.concat([lines, _credit_lines(rng, config, lines, order_of_line, time_days, reversed_order)])


def _credit_lines(
    rng: np.random.Generator,
    config: ShopConfig,
    lines: pd.DataFrame,
    order_of_line: np.ndarray,
    time_days: np.ndarray,
    reversed_order: np.ndarray,
) -> pd.DataFrame:
    """Returns as real logs send them: for a share of (not already reversed) orders, one
    negative line 1-30 days later on a credit note of its own, refunding 20-100% of the
    order's net amount. Credits that would fall after the window are not issued."""
    first_line = np.flatnonzero(lines["line_number"].to_numpy() == 1)
    orders = order_of_line[first_line]
    net = (lines["amount"] - lines["discount_amount"]).groupby(order_of_line).sum().to_numpy()
    credit_time = time_days + rng.uniform(1.0, 30.0, time_days.size)
    chosen = (
        (rng.random(time_days.size) < config.credit_share) & ~reversed_order & (credit_time < config.days)
    )
    chosen &= net > 0
    picked = first_line[chosen[orders]]
    order = orders[chosen[orders]]
    credits = lines.iloc[picked].copy()
    start = np.datetime64(config.start_date, "s")
    credits["order_id"] = np.char.add(f"R{config.id_prefix}", (order + 1).astype(str))
    credits["line_number"] = 1
    credits["ordered_at"] = pd.to_datetime(
        start + (credit_time[order] * 86_400).astype("timedelta64[s]")
    ).strftime("%Y-%m-%d %H:%M:%S")
    credits["amount"] = -np.round(net[order] * rng.uniform(0.2, 1.0, order.size), 2)
    credits["discount_amount"] = 0.0
    credits["quantity"] = -1
    credits["status"] = rng.choice(CREDIT_SPELLINGS, order.size)
    return credits


def generate_shop(config: ShopConfig) -> tuple[pd.DataFrame, dict]:
    """Order lines (clean and dirty, shuffled) and a truth dict describing them. With
    reexport_days, the column export_date says which export file a line is in."""
    rng = np.random.default_rng(config.seed)
    # the shapes of real exports draw from their own stream, so the purchase process and the
    # dirty rows are the same draws with or without them
    shapes = np.random.default_rng([config.seed, 1])
    numeric = _order_lines(rng, config)
    share_order_ids(shapes, numeric, config.shared_order_id_share)
    clean = as_text(numeric)
    twelve_hour_times(shapes, clean, config.twelve_hour_share)
    dirty = dirty_rows(rng, clean, config.dirty, config.id_prefix, config.line_numbers)
    parts = [clean.assign(dirty_kind=None), dirty]
    if config.reexport_days:
        last_day = np.datetime64(config.start_date, "D") + config.days - 1
        earlier_rows, earlier, last = earlier_export(
            numeric, clean, last_day, config.reexport_days, REVERSED_SPELLINGS
        )
        parts = [part.assign(export_date=last) for part in parts]
        parts.append(earlier_rows.assign(dirty_kind="superseded_export", export_date=earlier))
    lines = pd.concat(parts, ignore_index=True)
    lines = lines.iloc[rng.permutation(len(lines))].reset_index(drop=True)
    # A purchase is an order netting to more than 0 (reversed statuses earn nothing).
    earning = numeric["status"].isin(COMPLETED_SPELLINGS) & (numeric["amount"] > 0)
    order_key = [numeric["order_id"], numeric["customer_id"]]
    order_net = (numeric["amount"] - numeric["discount_amount"]).where(earning, 0.0).groupby(order_key).sum()
    purchase_orders = order_net[order_net > 0]
    kinds = lines["dirty_kind"]
    truth = {
        "config": {k: v for k, v in asdict(config).items() if k not in ("params", "dirty")},
        "true_params": asdict(config.params),
        "time_unit": "days",
        "money_unit": "USD",
        "clean_lines": int(len(clean)),
        "credit_lines": int((numeric["amount"] < 0).sum()),
        "dirty_lines": {kind: int((kinds == kind).sum()) for kind in DIRTY_KINDS},
        "raw_lines": int(len(lines)),
        "purchase_orders": int(len(purchase_orders)),
        "customers_with_orders": int(purchase_orders.index.get_level_values(1).nunique()),
        "customers_with_lines": int(numeric["customer_id"].nunique()),
    }
    return lines, truth


def _write_lines(lines: pd.DataFrame, path: Path, fmt: str, line_numbers: bool = True) -> int:
    """Write the lines to path, in their order; returns how many were written. Ragged rows (one
    field more than the header: a value with the delimiter, unquoted) exist only in CSV, where
    they stand among the others; Parquet leaves them out."""
    columns = [c for c in OUTPUT_COLUMNS if line_numbers or c != "line_number"]
    ragged = (
        lines["dirty_kind"].eq("unreadable_line").to_numpy()
        if "dirty_kind" in lines
        else np.zeros(len(lines), bool)
    )
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(lines.loc[~ragged, columns], preserve_index=False), path)
        return int((~ragged).sum())
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}: use csv or parquet")
    if not ragged.any():
        pa_csv.write_csv(pa.Table.from_pandas(lines[columns], preserve_index=False), path)
        return len(lines)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row, is_ragged in zip(lines[columns].itertuples(index=False), ragged, strict=True):
            values = ["" if value is None or value != value else str(value) for value in row]
            if is_ragged:
                handle.write(",".join(values) + "\n")
            else:
                writer.writerow(values)
    return len(lines)


def write_shop(lines: pd.DataFrame, truth: dict, out_dir: Path, fmt: str = "csv") -> Path:
    """Write the lines and ``truth.json`` into out_dir; return the data's path: ``orders.<fmt>``,
    or with several exports (column export_date) one file each, ``orders_<date>.<fmt>``, and
    the glob ``orders_*.<fmt>`` that reads them all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    line_numbers = truth["config"].get("line_numbers", True)
    if "export_date" in lines:
        written = sum(
            _write_lines(part, out_dir / f"orders_{date}.{fmt}", fmt, line_numbers)
            for date, part in lines.groupby("export_date")
        )
        path = out_dir / f"orders_*.{fmt}"
    else:
        path = out_dir / f"orders.{fmt}"
        written = _write_lines(lines, path, fmt, line_numbers)
    if written != truth["raw_lines"]:  # Parquet holds no ragged rows
        truth = {**truth, "raw_lines": written, "dirty_lines": {**truth["dirty_lines"], "unreadable_line": 0}}
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
        # one export per chunk: the scale benchmark reads one file per chunk
        part = replace(
            config, customers=size, seed=config.seed + chunk, id_prefix=f"{chunk}-", reexport_days=0
        )
        lines, truth = generate_shop(part)
        written = _write_lines(lines, out_dir / f"orders-{chunk:03d}.{fmt}", fmt, config.line_numbers)
        truth["dirty_lines"]["unreadable_line"] -= truth["raw_lines"] - written
        truth["raw_lines"] = written
        for key in ("clean_lines", "credit_lines", "raw_lines", "customers_with_orders"):
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

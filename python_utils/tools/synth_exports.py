"""What real exports do to a shop's clean order lines, for the demo generator (synth): rows
broken in one way each, numbers as text, order ids shared by two customers, times on a 12-hour
clock, and an earlier export of the same orders with their old statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Text columns of the output (numbers written as text, so dirty rows can hold any text).
TEXT_NUMBER_COLUMNS = ("line_number", "amount", "discount_amount", "quantity")
# Kinds of dirty rows drawn as a share of the clean lines (DirtyShares), then the rows of the
# earlier export, which repeat clean orders.
ROW_KINDS = (
    "missing_order_id",
    "missing_customer_id",
    "unparsable_ordered_at",
    "implausible_ordered_at",
    "future_ordered_at",
    "invalid_amount",
    "non_finite_amount",
    "unknown_currency",
    "implausible_amount",
    "invalid_discount",
    "invalid_quantity",
    "invalid_line_number",
    "unknown_status",
    "duplicate_line",
    "zero_amount",
    "unreadable_line",
)
DIRTY_KINDS = (*ROW_KINDS, "superseded_export")
TWELVE_HOUR_FORMAT = "%Y-%m-%d %I:%M:%S %p"


def dirty_rows(
    rng: np.random.Generator,
    clean: pd.DataFrame,
    shares,
    id_prefix: str = "",
    line_numbers: bool = True,
) -> pd.DataFrame:
    """Extra rows, each broken in exactly one way, labelled by ``dirty_kind`` (text columns);
    ``shares`` (synth.DirtyShares) holds each kind's share of the clean lines."""
    # Each kind: column -> what to write (a value, or a list cycled over the rows).
    breaks = {
        # missing ids as exports spell them: empty, blank, a placeholder, a lone zero-width space
        "missing_order_id": {"order_id": [None, "  ", "NULL", "n/a"]},
        "missing_customer_id": {"customer_id": [None, "  ", "None", "NULL", "\u200b"]},
        "unparsable_ordered_at": {"ordered_at": ["not a date", "2024-13-45"]},
        "implausible_ordered_at": {"ordered_at": ["1900-01-01 00:00:00", "epoch"]},
        "future_ordered_at": {"ordered_at": "2099-01-01 00:00:00"},
        "invalid_amount": {"amount": ["n/a", "12.5.0"]},
        "non_finite_amount": {"amount": ["NaN", "inf"]},
        "unknown_currency": {"currency": "XTS"},
        "implausible_amount": {"amount": ["123456789012345678901234567890", "1e308"]},
        "invalid_discount": {"discount_amount": ["1,50", "-1"]},
        "invalid_quantity": {"quantity": ["two", "1.5"]},
        "invalid_line_number": {"line_number": ["1.5", "0"]},
        "unknown_status": {"status": ["lost in transit"]},
        # a thousands separator left unquoted: one field more than the header (CSV only)
        "unreadable_line": {"amount": ["1,234.50"]},
    }
    parts = []
    next_order = len(clean) * 10  # order ids far beyond the clean ones
    for kind in ROW_KINDS:
        count = int(round(getattr(shares, kind) * len(clean)))
        if kind == "invalid_line_number" and not line_numbers:
            count = 0  # the file has no line_number column to break
        if count == 0:
            continue
        rows = clean.iloc[rng.integers(0, len(clean), count)].copy()
        if kind == "duplicate_line":
            pass  # an exact copy of an existing line
        elif kind == "zero_amount":
            # A free extra line on an existing order: valid, but worth zero dollars.
            rows["line_number"] = (rows["line_number"].astype(int) + 100 + np.arange(count)).astype(str)
            rows["amount"] = "0"
            rows["discount_amount"] = "0"
        else:
            if kind != "missing_order_id":
                rows["order_id"] = np.char.add(
                    f"X{id_prefix}", np.arange(next_order, next_order + count).astype(str)
                )
                next_order += count
            for column, value in breaks[kind].items():
                values = value if isinstance(value, list) else [value]
                rows[column] = [values[i % len(values)] for i in range(count)]
        rows["dirty_kind"] = kind
        parts.append(rows)
    if not parts:
        return clean.iloc[0:0].assign(dirty_kind=pd.Series(dtype=str))
    return pd.concat(parts, ignore_index=True)


def as_text(lines: pd.DataFrame) -> pd.DataFrame:
    """Numbers as the text a file holds (vectorised), so dirty rows can hold any text."""
    text = lines.copy()
    for column in TEXT_NUMBER_COLUMNS:
        text[column] = lines[column].astype(str)
    return text


def share_order_ids(rng: np.random.Generator, lines: pd.DataFrame, share: float) -> None:
    """A second shop's order numbers restart: a share of orders take the id of another
    customer's order (in place). Orders stay apart by (order_id, customer_id)."""
    purchases = lines[lines["amount"] >= 0]  # credit notes keep their own ids
    orders = purchases.drop_duplicates("order_id")[["order_id", "customer_id"]].to_numpy()
    count = int(round(share * len(orders)))
    if count == 0:
        return
    chosen = rng.choice(len(orders), count, replace=False)
    donors = rng.choice(len(orders), count, replace=False)
    other_customer = orders[donors, 1] != orders[chosen, 1]
    renamed = dict(zip(orders[chosen, 0][other_customer], orders[donors, 0][other_customer], strict=True))
    lines["order_id"] = lines["order_id"].replace(renamed)


def twelve_hour_times(rng: np.random.Generator, clean: pd.DataFrame, share: float) -> None:
    """A share of lines with their time on a 12-hour clock, '2024-05-01 10:00:00 PM' (in place)."""
    picked = rng.random(len(clean)) < share
    times = pd.to_datetime(clean.loc[picked, "ordered_at"], format="%Y-%m-%d %H:%M:%S")
    clean.loc[picked, "ordered_at"] = times.dt.strftime(TWELVE_HOUR_FORMAT)


def earlier_export(
    numeric: pd.DataFrame, clean: pd.DataFrame, last: np.datetime64, reexport_days: int, reversed_spellings
) -> tuple[pd.DataFrame, str, str]:
    """The lines an export a week before the last day held for its last reexport_days, with
    the statuses they had then: an order returned or cancelled later (a status of
    reversed_spellings now) was still completed. Returns (rows, earlier export date, last
    export date)."""
    earlier = last - 7
    ordered = pd.to_datetime(numeric["ordered_at"].to_numpy()).to_numpy().astype("datetime64[D]")
    held = (ordered > earlier - reexport_days) & (ordered <= earlier)
    rows = clean[held].copy()
    reversed_later = numeric.loc[held, "status"].isin(reversed_spellings).to_numpy()
    rows.loc[reversed_later, "status"] = "completed"
    return rows, str(earlier), str(last)

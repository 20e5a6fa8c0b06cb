import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from python_utils.tools.synth import (
    REVERSED_SPELLINGS,
    DirtyShares,
    ShopConfig,
    TrueParams,
    generate_shop,
    seasonal_clock,
    simulate_purchase_times,
)
from python_utils.tools.synth_exports import DIRTY_KINDS, ROW_KINDS, TWELVE_HOUR_FORMAT

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def shop():
    return generate_shop(ShopConfig(customers=3_000, seed=11))


def test_same_seed_gives_identical_data(shop):
    again, truth = generate_shop(ShopConfig(customers=3_000, seed=11))
    pd.testing.assert_frame_equal(shop[0], again)
    assert truth == shop[1]


def test_other_seed_gives_other_data(shop):
    other, _ = generate_shop(ShopConfig(customers=3_000, seed=12))
    assert not other["amount"].equals(shop[0]["amount"])


def test_dirty_kinds_are_the_seeds_reject_reasons():
    """The reject_reasons seed is the one list: the generator breaks rows in each of its ways
    (after_as_of_date depends on a var, not on a row), plus zero-amount lines, which are valid."""
    with open(SEEDS / "reject_reasons.csv") as seed:
        reasons = {row["reject_reason"] for row in csv.DictReader(seed)}
    assert set(DIRTY_KINDS) - {"zero_amount"} == reasons - {"after_as_of_date"}


def test_statuses_the_generator_writes_are_in_the_status_seed(shop):
    with open(SEEDS / "order_statuses.csv") as seed:
        spellings = {row["status_text"] for row in csv.DictReader(seed)}
    written = set(shop[0].loc[shop[0]["dirty_kind"] != "unknown_status", "status"].str.lower())
    assert written <= spellings
    assert "lost in transit" not in spellings


def test_dirty_row_shares_are_as_configured(shop):
    lines, truth = shop
    clean = truth["clean_lines"]
    for kind in ROW_KINDS:
        assert truth["dirty_lines"][kind] == round(getattr(DirtyShares(), kind) * clean)
    # ...and they are really in the data, detectable the way the dbt models detect them.
    placeholders = {"", "null", "none", "n/a"}
    customer = lines["customer_id"].fillna("").str.replace("\u200b", "").str.strip().str.lower()
    assert customer.isin(placeholders).sum() == truth["dirty_lines"]["missing_customer_id"]
    assert (lines["currency"] == "XTS").sum() == truth["dirty_lines"]["unknown_currency"]
    assert lines["ordered_at"].str.startswith("2099").sum() == truth["dirty_lines"]["future_ordered_at"]
    parsed = pd.to_datetime(lines["ordered_at"], errors="coerce", format="%Y-%m-%d %H:%M:%S").fillna(
        pd.to_datetime(lines["ordered_at"], errors="coerce", format=TWELVE_HOUR_FORMAT)
    )
    assert (
        parsed.isna().sum()
        == truth["dirty_lines"]["unparsable_ordered_at"] + (lines["ordered_at"] == "epoch").sum()
    )
    has_order = ~lines["order_id"].fillna("").str.strip().str.lower().isin(placeholders)
    assert (~has_order).sum() == truth["dirty_lines"]["missing_order_id"]
    latest = lines["export_date"] == lines["export_date"].max()
    duplicates = lines[has_order & latest].duplicated(["order_id", "customer_id", "line_number"]).sum()
    assert duplicates == truth["dirty_lines"]["duplicate_line"]
    assert (lines["amount"] == "1,234.50").sum() == truth["dirty_lines"]["unreadable_line"]
    assert len(lines) == clean + sum(truth["dirty_lines"].values())


def test_real_export_shapes_keep_the_clean_data_meaning(shop):
    """The earlier export repeats orders with their old statuses, order ids are shared by two
    customers, some times are on a 12-hour clock: none of it changes what the clean lines say."""
    lines, truth = shop
    earlier = lines[lines["export_date"] < lines["export_date"].max()]
    assert len(earlier) == truth["dirty_lines"]["superseded_export"] > 0
    assert (earlier["dirty_kind"] == "superseded_export").all()
    clean = lines[lines["dirty_kind"].isna()]
    later_status = clean.set_index(["order_id", "customer_id", "line_number"])["status"]
    old_status = earlier.set_index(["order_id", "customer_id", "line_number"])["status"]
    changed = later_status.reindex(old_status.index) != old_status
    assert changed.any() and later_status.reindex(old_status[changed].index).isin(REVERSED_SPELLINGS).all()
    owners = clean.groupby("order_id")["customer_id"].nunique()
    assert (owners > 1).sum() > 0
    twelve_hour = clean["ordered_at"].str.endswith(("AM", "PM"))
    assert 0.03 < twelve_hour.mean() < 0.07


def test_returns_arrive_as_negative_credit_lines_after_their_order(shop):
    lines, truth = shop
    amount = pd.to_numeric(lines["amount"], errors="coerce")
    credits = lines[(amount < 0) & lines["dirty_kind"].isna()]
    assert len(credits) == truth["credit_lines"] > 0
    assert credits["order_id"].str.startswith("R").all()
    originals = lines[lines["dirty_kind"].isna()].set_index("order_id")["ordered_at"]
    originals = pd.to_datetime(originals, format="mixed")
    original_at = originals.groupby(level=0).min().reindex("O" + credits["order_id"].str[1:]).to_numpy()
    assert (pd.to_datetime(credits["ordered_at"], format="mixed").to_numpy() > original_at).all()


def test_zero_shares_give_clean_data():
    none = DirtyShares(**{kind: 0.0 for kind in ROW_KINDS})
    lines, truth = generate_shop(
        ShopConfig(customers=500, seed=1, dirty=none, credit_share=0.0, reexport_days=0)
    )
    assert len(lines) == truth["clean_lines"]
    assert (pd.to_numeric(lines["amount"]) > 0).all()


def test_seasonality_puts_a_december_peak_in_calendar_time():
    flat, _ = generate_shop(ShopConfig(customers=4_000, seed=3))
    peaked, _ = generate_shop(ShopConfig(customers=4_000, seed=3, seasonality=2.0))

    def december_share(lines):
        clean = lines.loc[lines["dirty_kind"].isna(), "ordered_at"]
        month = (
            pd.to_datetime(clean, errors="coerce", format="%Y-%m-%d %H:%M:%S")
            .fillna(pd.to_datetime(clean, errors="coerce", format=TWELVE_HOUR_FORMAT))
            .dt.month
        )
        return (month == 12).mean()

    assert december_share(flat) == pytest.approx(1 / 12, abs=0.02)
    assert december_share(peaked) > 2 * december_share(flat)
    calendar, operational = seasonal_clock("2023-01-01", 365, 2.0)
    assert operational[-1] == pytest.approx(365, rel=0.01)  # the same purchases per year on average


def test_purchase_process_matches_bgnbd_expectation():
    """Mean repeat purchases of customers watched for t days vs the BG/NBD closed form."""
    from lifetimes import BetaGeoFitter

    params = TrueParams()
    rng = np.random.default_rng(5)
    n, days = 40_000, 730
    cust, times = simulate_purchase_times(rng, n, days, params)
    first = pd.Series(times).groupby(cust).min().to_numpy()
    repeats = np.bincount(cust, minlength=n) - 1
    watched = days - first
    model = BetaGeoFitter()
    model.params_ = pd.Series({"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b})
    expected = model.expected_number_of_purchases_up_to_time(watched).mean()
    assert repeats.mean() == pytest.approx(expected, rel=0.03)

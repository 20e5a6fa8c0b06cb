import numpy as np
import pandas as pd
import pytest

from python_utils.synth import (
    DIRTY_KINDS,
    DirtyShares,
    ShopConfig,
    TrueParams,
    generate_shop,
    simulate_purchase_times,
)


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


def test_dirty_row_shares_are_as_configured(shop):
    lines, truth = shop
    clean = truth["clean_lines"]
    for kind in DIRTY_KINDS:
        assert truth["dirty_lines"][kind] == round(getattr(DirtyShares(), kind) * clean)
    # ...and they are really in the data, detectable the way the dbt models detect them.
    customer = lines["customer_id"].fillna("").str.strip()
    assert (customer == "").sum() == truth["dirty_lines"]["missing_customer_id"]
    assert (lines["amount"] < 0).sum() == truth["dirty_lines"]["negative_amount"]
    assert (lines["currency"] == "XTS").sum() == truth["dirty_lines"]["unknown_currency"]
    assert lines["ordered_at"].str.startswith("2099").sum() == truth["dirty_lines"]["future_ordered_at"]
    parsed = pd.to_datetime(lines["ordered_at"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    assert parsed.isna().sum() == truth["dirty_lines"]["unparsable_ordered_at"]
    duplicates = lines.duplicated(["order_id", "line_number"]).sum()
    assert duplicates == truth["dirty_lines"]["duplicate_line"]
    assert len(lines) == clean + sum(truth["dirty_lines"].values())


def test_zero_shares_give_clean_data():
    none = DirtyShares(**{kind: 0.0 for kind in DIRTY_KINDS})
    lines, truth = generate_shop(ShopConfig(customers=500, seed=1, dirty=none))
    assert len(lines) == truth["clean_lines"]
    assert (lines["amount"] > 0).all()


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

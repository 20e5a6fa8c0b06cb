import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter

from python_utils import seasonality
from python_utils.tools.synth import ShopConfig, TrueParams, generate_shop


def purchase_calendar(lines: pd.DataFrame) -> pd.DataFrame:
    """int_purchase_calendar, computed in pandas from clean generated lines."""
    clean = lines[lines["dirty_kind"].isna()]
    clean = clean[pd.to_numeric(clean["amount"]) > 0]
    days = clean.assign(order_date=pd.to_datetime(clean["ordered_at"], format="mixed").dt.normalize())[
        ["customer_id", "order_date"]
    ]
    days = days.drop_duplicates()
    first = days.groupby("customer_id")["order_date"].transform("min")
    daily = days.assign(first=days["order_date"] == first).groupby("order_date")["first"].agg(["size", "sum"])
    return pd.DataFrame(
        {
            "order_date": daily.index,
            "repeat_purchases": (daily["size"] - daily["sum"]).to_numpy(),
            "first_purchases": daily["sum"].to_numpy(),
            "customers_acquired": daily["sum"].cumsum().to_numpy(),
        }
    )


def expected_repeats():
    model = BetaGeoFitter()
    params = TrueParams()
    model.params_ = pd.Series({"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b})
    return model.expected_number_of_purchases_up_to_time


def test_a_december_peak_is_learned_and_a_flat_shop_stays_flat():
    peaked, _ = generate_shop(ShopConfig(customers=6_000, seed=3, seasonality=2.0))
    flat, _ = generate_shop(ShopConfig(customers=6_000, seed=3))
    cutoff = pd.Timestamp("2025-09-30")
    index, note = seasonality.monthly_index(
        purchase_calendar(peaked), cutoff, expected_repeats=expected_repeats()
    )
    assert "learned" in note
    assert index[11] > 1.6 and index[11] == index.max() and index[:10].max() < 1.2
    flat_index, _ = seasonality.monthly_index(
        purchase_calendar(flat), cutoff, expected_repeats=expected_repeats()
    )
    assert np.abs(flat_index - 1).max() < 0.2
    # A forecast window holding December is scaled up; a whole year about not at all.
    assert seasonality.window_factor(index, cutoff, 91) > 1.2
    assert seasonality.window_factor(index, cutoff, 365) == pytest.approx(1.0, abs=0.03)


def test_under_a_year_of_history_learns_nothing_but_the_seed_still_applies():
    lines, _ = generate_shop(ShopConfig(customers=2_000, seed=5, days=270, seasonality=2.0))
    calendar = purchase_calendar(lines)
    cutoff = pd.Timestamp("2023-09-27")
    index, note = seasonality.monthly_index(calendar, cutoff, expected_repeats=expected_repeats())
    assert index is None and "no seasonality" in note
    seed = pd.DataFrame({"month": [11, 12], "multiplier": [1.5, 3.0]})
    index, note = seasonality.monthly_index(calendar, cutoff, seed, expected_repeats())
    assert index.tolist() == [1.0] * 10 + [1.5, 3.0] and "seed" in note
    # A planner's December: a quarter ending in December is expected busier by the seed's weight.
    assert seasonality.window_factor(index, "2023-09-30", 92) == pytest.approx(
        (31 + 30 * 1.5 + 31 * 3.0) / 92
    )
    assert seasonality.window_factor(None, cutoff, 91) == 1.0

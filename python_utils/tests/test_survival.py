"""Cox PH time to second purchase on data with a known hazard ratio."""

import numpy as np
import pandas as pd
import pytest

from python_utils import survival


def shop(n: int = 6_000, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """Exponential time to second purchase: base rate 1/200 per day, email buyers twice as fast."""
    rng = np.random.default_rng(seed)
    channel = rng.choice(["organic", "email"], n)
    rate = np.where(channel == "email", 2 / 200, 1 / 200)
    to_second = rng.exponential(1 / rate)
    watched = rng.uniform(30, 700, n)
    returned = to_second <= watched
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": returned.astype(int),
            "t_days": watched.round(),
            "days_to_second_purchase": np.where(returned, np.maximum(to_second.round(), 1), np.nan),
            "first_purchase_value": rng.gamma(4, 10, n),
            "acquisition_channel": channel,
            "region": "europe",
        }
    )
    return frame, 1 / 200


def test_cox_recovers_the_hazard_ratio():
    frame, _ = shop()
    fit = survival.fit_cox(frame, penalizer=0.0)
    assert np.exp(fit.coefficients["acquisition_channel=organic"]) == pytest.approx(0.5, rel=0.1)
    assert abs(fit.coefficients["log_first_purchase_value"]) < 0.1  # no effect in the data
    assert "region=europe" not in fit.coefficients  # one level: nothing to estimate


def test_probability_of_return_matches_the_exponential_process():
    frame, base_rate = shop()
    fit = survival.fit_cox(frame, penalizer=0.0)
    waiting = frame[frame["frequency"] == 0].head(500).copy()
    waiting["t_days"] = 100.0  # memoryless: the answer does not depend on time waited
    p = survival.probability_of_return(fit, waiting, 90)
    email = (waiting["acquisition_channel"] == "email").to_numpy()
    expected = 1 - np.exp(-np.where(email, 2 * base_rate, base_rate) * 90)
    assert p[email].mean() == pytest.approx(expected[email].mean(), abs=0.02)
    assert p[~email].mean() == pytest.approx(expected[~email].mean(), abs=0.02)
    # Per customer, the (truly null) purchase-value coefficient's noise adds a little spread.
    assert p == pytest.approx(expected, abs=0.05)


def test_fit_survives_a_round_trip_and_unseen_levels():
    frame, _ = shop(2_000)
    fit = survival.CoxFit.from_dict(survival.fit_cox(frame).to_dict())
    new = frame.head(3).assign(acquisition_channel=["tiktok", "email", "organic"], t_days=[0, 5000, 10])
    p = survival.probability_of_return(fit, new, 365)
    assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()

"""The cold-start model: learned on an earlier cohort at the same age, tuned by a bounded seeded
search, scoring only customers in their first days; against a known signal."""

import numpy as np
import pandas as pd

from python_utils import clv, regression
from python_utils.reference.evaluation import normalized_gini
from python_utils.tests.test_regression_and_clv import snapshot

CHANNEL_RATE = {"referral": 2.0, "email": 1.0, "organic": 0.5, "social": 0.2}  # purchases a year


def cohort(n: int, seed: int) -> pd.DataFrame:
    """Customers of every age; the young ones' future depends on what their first days show
    (channel and first basket), the rest on noise only: a model that learned from the old ones
    would find nothing."""
    rng = np.random.default_rng(seed)
    frame = snapshot(n, seed)
    frame["acquisition_channel"] = rng.choice(list(CHANNEL_RATE), n)
    young = frame["t_days"].to_numpy() < 30
    rate = frame["acquisition_channel"].map(CHANNEL_RATE).to_numpy()
    purchases = np.where(young, rng.poisson(rate), rng.poisson(0.7, n))
    frame["target_purchases"] = purchases
    frame["target_revenue"] = purchases * frame["first_purchase_value"].to_numpy()
    return frame


def test_cold_start_learns_from_the_earlier_cohort_at_the_same_age():
    earlier = cohort(20_000, 1)
    fit = regression.fit_xgboost(earlier, seed=5, max_age_days=30)
    assert fit.model_name == "cold_start" and fit.rows == int((earlier["t_days"] < 30).sum())
    assert (
        fit.tuning["max_depth"] in regression.TUNED_DEPTHS and 1 <= fit.tuning["rounds"] <= regression.ROUNDS
    )
    later = cohort(20_000, 2)
    predicted = regression.predict_xgboost(fit, later)
    young = later["t_days"].to_numpy() < 30
    assert np.isnan(predicted[~young]).all() and np.isfinite(predicted[young]).all()
    # the truth's own ranking (rate x first basket) is the ceiling; the model gets most of it
    truth = later["acquisition_channel"].map(CHANNEL_RATE) * later["first_purchase_value"]
    actual = later.loc[young, "target_revenue"]
    ceiling = normalized_gini(actual, truth[young])
    assert normalized_gini(actual, predicted[young]) > 0.8 * ceiling > 0.2
    # and its total is calibrated to the earlier cohort's level
    assert abs(predicted[young].sum() / actual.sum() - 1) < 0.15


def test_cold_start_is_seeded_and_stored_with_its_tuning():
    earlier = cohort(8_000, 3)
    fit = regression.fit_xgboost(earlier, seed=5, max_age_days=30)
    again = regression.XgbFit.from_row(pd.Series(fit.to_row()))
    assert again.tuning == fit.tuning and again.max_age_days == 30 and again.numeric == fit.numeric
    later = cohort(2_000, 4)
    np.testing.assert_array_equal(
        regression.predict_xgboost(fit, later), regression.predict_xgboost(again, later)
    )
    repeat = regression.fit_xgboost(earlier, seed=5, max_age_days=30)
    np.testing.assert_array_equal(
        regression.predict_xgboost(repeat, later), regression.predict_xgboost(fit, later)
    )


def test_new_customers_are_their_own_group():
    groups = clv.customer_group([0, 3, 0, 2], t_days=[10, 29, 30, 400], cold_start_days=30)
    assert groups.tolist() == ["new", "new", "one_time", "repeat"]

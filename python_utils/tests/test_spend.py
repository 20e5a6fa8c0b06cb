"""Spend with the first purchase counted (btyd_first_spend), against known ground truth."""

import numpy as np
import pandas as pd
import pytest
from lifetimes import GammaGammaFitter

from python_utils.reference import spend

TRUTH = {"p": 6.0, "q": 4.0, "v": 30.0}  # Gamma-Gamma: basket ~ Gamma(p, nu), nu ~ Gamma(q, v)


def simulated_customers(customers: int = 20_000, seed: int = 7):
    """Each customer's true mean spend p / nu and baskets drawn from it: a first one and
    0..5 repeat ones (frequency), as Gamma-Gamma's generative story says."""
    rng = np.random.default_rng(seed)
    nu = rng.gamma(TRUTH["q"], 1 / TRUTH["v"], customers)
    frequency = rng.integers(0, 6, customers)
    baskets = rng.gamma(TRUTH["p"], 1 / nu[:, None], (customers, 6))
    first = baskets[:, 0]
    repeat = np.where(np.arange(1, 6) <= frequency[:, None], baskets[:, 1:], 0.0)
    monetary = np.divide(repeat.sum(axis=1), frequency, out=np.zeros(customers), where=frequency > 0)
    return TRUTH["p"] / nu, frequency, monetary, first


def test_counting_the_first_purchase_is_gamma_gammas_posterior_over_every_basket():
    _, frequency, monetary, first = simulated_customers(2_000)
    ours = spend.first_purchase_spend(TRUTH, frequency, monetary, first, mean_spend=0.0)
    model = GammaGammaFitter()
    model.params_ = pd.Series(TRUTH)
    every_basket = (frequency * monetary + first) / (frequency + 1)
    expected = model.conditional_expected_average_profit(frequency + 1, every_basket)
    np.testing.assert_allclose(ours, np.asarray(expected, float), rtol=1e-12)


def test_the_first_purchase_brings_each_customers_estimate_closer_to_the_truth():
    true_mean, frequency, monetary, first = simulated_customers()
    repeat_only = spend.first_purchase_spend(TRUTH, frequency, monetary, np.zeros_like(first), 0.0)
    with_first = spend.first_purchase_spend(TRUTH, frequency, monetary, first, 0.0)
    error_repeat_only = np.abs(repeat_only - true_mean).mean()
    error_with_first = np.abs(with_first - true_mean).mean()
    assert error_with_first < 0.9 * error_repeat_only
    one_time = frequency == 0  # where lifetimes' route gives everyone the population mean
    assert np.corrcoef(with_first[one_time], true_mean[one_time])[0, 1] > 0.5
    assert np.ptp(repeat_only[one_time]) == pytest.approx(0.0)


def test_without_gamma_gamma_it_is_the_shops_mean_spend():
    assert spend.first_purchase_spend({}, [0, 2], [0, 10], [5, 7], mean_spend=12.5).tolist() == [12.5, 12.5]


def test_non_positive_baskets_are_not_evidence():
    prior = TRUTH["p"] * TRUTH["v"] / (TRUTH["q"] - 1)
    # a refunded first basket and no positive repeat spend: nothing observed, the prior
    assert spend.first_purchase_spend(TRUTH, [0, 3], [0, 0], [0, -4], 0.0) == pytest.approx([prior, prior])

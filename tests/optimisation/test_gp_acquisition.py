"""Acquisition functions against their closed forms, bayes_opt's classes and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from bayes_opt import acquisition as bo
from scipy.stats import norm

from hpo_service.optimisation.gp.acquisition import Acquisition

RNG = np.random.default_rng(0)
MEAN = RNG.normal(size=200)
STD = RNG.uniform(0.01, 2.0, size=200)
BEST = 0.7


def test_ei_matches_its_closed_form() -> None:
    xi = 0.05
    z = (MEAN - BEST - xi) / STD
    expected = (MEAN - BEST - xi) * norm.cdf(z) + STD * norm.pdf(z)
    got = Acquisition("ei", BEST, xi=xi).closed_form(MEAN, STD)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


def test_pi_matches_its_closed_form() -> None:
    got = Acquisition("pi", BEST, xi=0.01).closed_form(MEAN, STD)
    np.testing.assert_allclose(got, norm.cdf((MEAN - BEST - 0.01) / STD), rtol=1e-12)


def test_ucb_matches_its_closed_form() -> None:
    got = Acquisition("ucb", BEST, kappa=1.5).closed_form(MEAN, STD)
    np.testing.assert_allclose(got, MEAN + 1.5 * STD, rtol=1e-14)


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("ei", bo.ExpectedImprovement(xi=0.1)),
        ("pi", bo.ProbabilityOfImprovement(xi=0.1)),
        ("ucb", bo.UpperConfidenceBound(kappa=2.0)),
    ],
)
def test_agrees_with_bayes_opt(name: str, reference: bo.AcquisitionFunction) -> None:
    reference.y_max = BEST  # type: ignore[attr-defined]
    ours = Acquisition(name, BEST, xi=0.1, kappa=2.0).closed_form(MEAN, STD)
    np.testing.assert_allclose(ours, reference.base_acq(MEAN, STD), rtol=1e-12)


@pytest.mark.parametrize("name", ["ei", "pi"])
def test_optimised_objective_is_the_log_of_the_acquisition(name: str) -> None:
    acquisition = Acquisition(name, BEST, xi=0.01)
    value, _, _ = acquisition.evaluate(MEAN, STD)
    np.testing.assert_allclose(
        value, np.log(acquisition.closed_form(MEAN, STD)), rtol=1e-9, atol=1e-12
    )


def test_log_ei_is_finite_and_monotone_far_below_the_incumbent() -> None:
    """Plain EI underflows to 0 below z ~ -38; log EI keeps ranking candidates."""
    std = np.ones(6)
    mean = np.array([-10.0, -40.0, -100.0, -1e3, -1e4, -1e5])
    value, d_mean, _ = Acquisition("ei", 0.0).evaluate(mean, std)
    assert np.all(np.isfinite(value)) and np.all(np.diff(value) < 0)
    assert np.all(d_mean > 0)
    assert Acquisition("ei", 0.0).closed_form(mean[-3:], std[-3:]).max() == 0.0


@pytest.mark.parametrize("name", ["ei", "pi", "ucb"])
@pytest.mark.parametrize("log", [True, False])
def test_partial_derivatives_match_finite_differences(name: str, log: bool) -> None:
    acquisition = Acquisition(name, BEST, xi=0.02, kappa=1.7, log=log)
    mean, std = MEAN[:50], STD[:50] + 0.2
    value, d_mean, d_std = acquisition.evaluate(mean, std)
    step = 1e-6
    numeric_mean = (acquisition.evaluate(mean + step, std)[0] - value) / step
    numeric_std = (acquisition.evaluate(mean, std + step)[0] - value) / step
    np.testing.assert_allclose(d_mean, numeric_mean, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(d_std, numeric_std, rtol=1e-3, atol=1e-6)

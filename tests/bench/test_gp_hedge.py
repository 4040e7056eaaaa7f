"""The GP-Hedge variant of the engine (bench/gp_ablations.py, method ``engine-hedge``).

Its gains are replayed from the history: these tests check the replay against a refit of
every prefix, that each acquisition's nominee enters its own gain, the softmax draw, and
that proposals are a function of (history, space, config, seed).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import gp_ablations
from gp_ablations import (
    HEDGE_ARMS,
    HedgeGPStrategy,
    hedge_choice,
    hedge_probabilities,
    prefix_predictions,
    replayed_gains,
)

from hpo_service.domain import FloatParam, History, Observation, Params, SearchSpace
from hpo_service.optimisation.encoding import snap, to_features
from hpo_service.optimisation.gp import GPConfig
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.config import DEFAULT_XI
from hpo_service.optimisation.gp.model import Hyperparameters
from hpo_service.optimisation.gp.posterior import Posterior
from hpo_service.optimisation.gp.surrogate import Surrogate, clear_cache
from hpo_service.optimisation.random_search import RandomStrategy

SPACE = SearchSpace((FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)))
HYPER = Hyperparameters(np.array([0.3, 0.5]), 1.0, 1e-3)


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.random((n, 2))
    y = np.sin(6 * x[:, 0]) + np.cos(4 * x[:, 1])
    return x, (y - y.mean()) / y.std()


def _objective(params: Params) -> float:
    x, y = float(params["x"]), float(params["y"])
    return -((x - 0.3) ** 2) - (y - 0.7) ** 2 + 0.1 * math.sin(9 * x)


def test_prefix_predictions_equal_a_fit_on_each_prefix() -> None:
    x, y = _data(12)
    z = np.random.default_rng(4).random((30, 2))
    means, stds = prefix_predictions(Posterior.fit(x, y, HYPER), z)
    for k in (1, 5, 11, 12):
        mean, std = Posterior.fit(x[:k], y[:k], HYPER).predict(z)
        np.testing.assert_allclose(means[k - 1], mean, atol=1e-9)
        np.testing.assert_allclose(stds[k - 1], std, atol=1e-9)


def test_gains_add_each_acquisitions_nominee_mean_after_the_next_observation() -> None:
    x, y = _data(10)
    surrogate = Surrogate(Posterior.fit(x, y, HYPER), 0.0, 1.0, float(y.max()))
    base = Acquisition("ei", float(y.max()))
    gains = replayed_gains(SPACE, base, surrogate, 6, np.random.default_rng(9))
    # brute force: refit every prefix, each acquisition picks its maximiser over the same pool
    from scipy.stats import qmc

    cube = qmc.Sobol(d=2, scramble=True, rng=np.random.default_rng(9)).random_base2(10)
    pool = to_features(SPACE, snap(SPACE, cube))
    expected = np.zeros(len(HEDGE_ARMS))
    nominees = set()
    for k in range(6, 10):
        mean, std = Posterior.fit(x[:k], y[:k], HYPER).predict(pool)
        after, _ = Posterior.fit(x[: k + 1], y[: k + 1], HYPER).predict(pool)
        for i, arm in enumerate(HEDGE_ARMS):
            scorer = Acquisition(arm, float(y[:k].max()), DEFAULT_XI[arm])
            nominee = int(np.argmax(scorer.evaluate(mean, std)[0]))
            nominees.add((k, arm, nominee))
            expected[i] += after[nominee]
    np.testing.assert_allclose(gains, expected, atol=1e-8)
    assert len({(k, n) for k, _, n in nominees}) > 4  # the acquisitions nominate differently
    assert len(set(gains)) == len(HEDGE_ARMS)
    # no model step yet: no gains
    none = replayed_gains(SPACE, base, surrogate, 10, np.random.default_rng(9))
    np.testing.assert_array_equal(none, np.zeros(len(HEDGE_ARMS)))


def test_the_draw_is_a_softmax_of_the_gains() -> None:
    np.testing.assert_allclose(hedge_probabilities(np.zeros(3)), np.full(3, 1 / 3))
    p = hedge_probabilities(np.array([0.0, 1.0, 1000.0]))
    assert p.sum() == pytest.approx(1.0) and p[2] == pytest.approx(1.0)
    q = hedge_probabilities(np.array([0.0, 1.0, 2.0]))
    assert q[1] / q[0] == pytest.approx(math.e) and q[2] / q[1] == pytest.approx(math.e)
    draws = [hedge_choice(np.array([0.0, 0.0, 50.0]), np.random.default_rng(s)) for s in range(20)]
    assert set(draws) == {2}
    uniform = {hedge_choice(np.zeros(3), np.random.default_rng(s)) for s in range(40)}
    assert uniform == {0, 1, 2}


def _run(seed: int, budget: int) -> tuple[list[Params], list[str]]:
    clear_cache()
    strategy = HedgeGPStrategy(GPConfig(n_initial=5))
    observations: list[Observation] = []
    arms = []
    for _ in range(budget):
        history = History(completed=tuple(observations))
        fallback = RandomStrategy().prepare(SPACE, history, seed)
        if len(observations) >= 5:
            arms.append(strategy._single(SPACE, history, seed, fallback).acquisition.name)
        params = strategy.prepare(SPACE, history, seed).propose([], 1)[0]
        observations.append(Observation(params, _objective(params)))
    return [o.params for o in observations], arms


def test_proposals_are_a_function_of_history_and_seed() -> None:
    first, arms = _run(seed=1, budget=14)
    again, arms_again = _run(seed=1, budget=14)
    other, _ = _run(seed=2, budget=14)
    assert first == again and arms == arms_again
    assert other != first
    assert set(arms) <= set(HEDGE_ARMS)


def test_the_proposer_uses_the_drawn_acquisition(monkeypatch: pytest.MonkeyPatch) -> None:
    observations = [
        Observation({"x": a, "y": b}, _objective({"x": a, "y": b}))
        for a, b in np.random.default_rng(5).random((9, 2))
    ]
    history = History(completed=tuple(observations))
    fallback = RandomStrategy().prepare(SPACE, history, 0)
    for arm in range(len(HEDGE_ARMS)):
        monkeypatch.setattr(gp_ablations, "hedge_choice", lambda gains, rng, a=arm: a)
        proposer = HedgeGPStrategy(GPConfig(n_initial=5))._single(SPACE, history, 0, fallback)
        assert proposer.acquisition.name == HEDGE_ARMS[arm]
        assert proposer.acquisition.xi == DEFAULT_XI[HEDGE_ARMS[arm]]
        pending: list[Params] = [{"x": 0.3, "y": 0.7}]
        (proposal,) = proposer.propose(pending, 1)
        assert proposal != pending[0]  # kriging believer still spreads away from pending

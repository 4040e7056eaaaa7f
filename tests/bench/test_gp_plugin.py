"""The plug-in incumbent candidate (bench/gp_ablations.py, method ``engine-plugin`` of
bench/gp_suite.py): EI's bar y* is the best posterior mean at an observed point, which on
noisy observations lies below the luckiest observation, and nothing else changes."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from gp_ablations import PlugInIncumbentGPStrategy

from hpo_service.domain import FloatParam, Observation, Params, SearchSpace
from hpo_service.optimisation.encoding import to_features
from hpo_service.optimisation.gp import GPConfig, GPStrategy
from hpo_service.optimisation.gp.surrogate import clear_cache, cube_of

SPACE = SearchSpace((FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)))


def _observations(noise: float) -> list[Observation]:
    rng = np.random.default_rng(3)
    out = []
    for a, b in rng.random((24, 2)):
        config: Params = {"x": float(a), "y": float(b)}
        value = -((a - 0.3) ** 2) - (b - 0.7) ** 2 + 0.1 * math.sin(9 * a)
        out.append(Observation(config, float(value + noise * rng.standard_normal())))
    return out


def test_the_incumbent_is_the_best_posterior_mean_at_an_observed_point() -> None:
    clear_cache()
    observations = _observations(noise=0.05)
    engine = GPStrategy(GPConfig()).surrogate(SPACE, observations, seed=0)
    plugin = PlugInIncumbentGPStrategy(GPConfig()).surrogate(SPACE, observations, seed=0)
    x = to_features(SPACE, cube_of(SPACE, [o.params for o in observations]))
    means = plugin.posterior.mean(x)  # k' alpha, computed the long way
    assert math.isclose(plugin.best, float(means.max()), rel_tol=1e-9, abs_tol=1e-12)
    assert engine.best == float(engine.posterior.y.max())  # the engine's bar: the best observed
    assert plugin.best < engine.best - 0.01  # a lucky observation is shrunk to its neighbours'
    # the same model: only the incumbent differs
    ours, theirs = plugin.posterior.hyper, engine.posterior.hyper
    assert np.array_equal(ours.lengthscales, theirs.lengthscales)
    assert (ours.variance, ours.noise) == (theirs.variance, theirs.noise)
    assert np.array_equal(plugin.posterior.y, engine.posterior.y)

"""The candidate defaults of bench/gp_candidates.py and their variants in
bench/gp_ablations.py: the stagnation switch replayed from the history, the scaled
length-scale priors (gradients, and swapped only while a fit runs), and the report's rule."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import gp_ablations
import gp_candidates
import gp_parallel
from gp_ablations import (
    LogNormalPriorGPStrategy,
    StagnationGPStrategy,
    StagnationMeanGPStrategy,
    lognormal_prior,
    long_prior,
    scaled_prior,
    stagnating,
)

from hpo_service.domain import FloatParam, History, Observation, SearchSpace
from hpo_service.optimisation.gp import GPConfig, GPStrategy, model
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.gp.surrogate import clear_cache

SPACE = SearchSpace(tuple(FloatParam(f"x{i}", 0.0, 1.0) for i in range(3)))


@pytest.mark.parametrize(
    ("values", "patience", "exit_after", "expected"),
    [
        # 2 values of initial design, then the model's steps (higher is better)
        ([1, 2, 1, 1, 1], 3, 2, True),  # 3 misses in a row: exploit
        ([1, 2, 1, 1], 3, 2, False),  # 2 misses: not yet
        ([1, 2, 1, 1, 1, 3], 3, 2, True),  # the exploiting step found a new best: go on
        ([1, 2, 1, 1, 1, 1], 3, 2, True),  # one exploiting miss of 2 allowed
        ([1, 2, 1, 1, 1, 1, 1], 3, 2, False),  # 2 exploiting misses: explore again
        ([1, 2, 1, 1, 1, 1], 3, 1, False),  # exit after one miss
        ([1, 2, 1, 1, 1, 1, 1, 1, 1], 3, 1, True),  # 3 exploring misses again: exploit
        ([5, 2, 1, 1, 1], 3, 2, True),  # the design's best counts: 3 misses after it
        ([1, 2, 3, 1, 4, 1, 1], 3, 2, False),  # a new best resets the count
    ],
)
def test_stagnation_is_replayed_from_the_values_in_order(
    values: list[float], patience: int, exit_after: int, expected: bool
) -> None:
    assert stagnating(values, 2, patience, exit_after) is expected


def _history(values: list[float]) -> History:
    rng = np.random.default_rng(0)
    return History(
        completed=tuple(
            Observation({p.name: float(rng.random()) for p in SPACE.params}, v) for v in values
        )
    )


@pytest.mark.parametrize(
    ("strategy", "name", "xi", "kappa"),
    [(StagnationGPStrategy, "pi", 0.0, 2.0), (StagnationMeanGPStrategy, "ucb", 0.0, 0.0)],
)
def test_a_stagnating_study_exploits_and_a_progressing_one_keeps_ei(
    strategy: type[GPStrategy], name: str, xi: float, kappa: float
) -> None:
    clear_cache()
    engine = strategy(GPConfig(n_initial=6))
    design = [0.1, 0.5, 0.2, 0.3, 0.4, 0.2]
    stuck = engine.prepare(SPACE, _history([*design, 0.1, 0.2, 0.3, 0.1, 0.4]), 0)
    moving = engine.prepare(SPACE, _history([*design, 0.6, 0.7, 0.8, 0.1, 0.9]), 0)
    assert isinstance(stuck, GPProposer) and isinstance(moving, GPProposer)
    assert (stuck.acquisition.name, stuck.acquisition.xi) == (name, xi)
    assert stuck.acquisition.kappa == kappa
    assert moving.acquisition.name == "ei"
    # the exploiting acquisition keeps the model's incumbent (not the placeholder 0)
    plain = GPStrategy(GPConfig(n_initial=6)).prepare(
        SPACE, _history([*design, 0.1, 0.2, 0.3, 0.1, 0.4]), 0
    )
    assert isinstance(plain, GPProposer)
    assert stuck.acquisition.best == plain.acquisition.best


@pytest.mark.parametrize("prior", [lognormal_prior, scaled_prior, long_prior])
def test_scaled_priors_have_their_analytic_gradient(prior: gp_ablations.PriorFunction) -> None:
    ls, var, noise = np.array([0.02, 0.3, 2.0, 40.0]), 1.3, 1e-3
    theta = np.concatenate([np.log(ls), [math.log(var), math.log(noise)]])
    _, grad = prior(ls, var, noise)

    def value(t: np.ndarray) -> float:
        return prior(np.exp(t[:-2]), math.exp(t[-2]), math.exp(t[-1]))[0]

    step = 1e-6
    numeric = [(value(theta + e) - value(theta - e)) / (2 * step) for e in np.eye(6) * step]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_scaled_priors_keep_the_engine_prior_at_two_dimensions_and_grow_with_dimension() -> None:
    two = np.array([0.5, 1.5])
    engine, _ = gp_ablations.ENGINE_PRIOR(two, 1.0, 1e-3)
    assert scaled_prior(two, 1.0, 1e-3)[0] == pytest.approx(engine)
    assert long_prior(two, 1.0, 1e-3)[0] == pytest.approx(engine)
    # in 25 dimensions a length scale of 3 is more likely than 1 under the scaled priors,
    # less likely under the engine's
    for prior in (scaled_prior, long_prior, lognormal_prior):
        short, long = np.full(25, 1.0), np.full(25, 3.0)
        assert prior(long, 1.0, 1e-3)[0] > prior(short, 1.0, 1e-3)[0]
    assert (
        gp_ablations.ENGINE_PRIOR(np.full(25, 3.0), 1.0, 1e-3)[0]
        < gp_ablations.ENGINE_PRIOR(np.full(25, 1.0), 1.0, 1e-3)[0]
    )


def test_a_prior_variant_changes_the_fit_only_while_it_runs() -> None:
    rng = np.random.default_rng(1)
    values = [float(v) for v in rng.random(12)]
    history = _history(values)
    clear_cache()
    plain = GPStrategy(GPConfig(n_initial=6)).surrogate(SPACE, history.completed, 0)
    clear_cache()
    varied = LogNormalPriorGPStrategy(GPConfig(n_initial=6)).surrogate(SPACE, history.completed, 0)
    assert model.log_prior is gp_ablations.ENGINE_PRIOR
    assert model.LENGTHSCALE_BOUNDS == (5e-3, 20.0)
    assert not np.allclose(plain.posterior.hyper.lengthscales, varied.posterior.hyper.lengthscales)
    clear_cache()
    again = GPStrategy(GPConfig(n_initial=6)).surrogate(SPACE, history.completed, 0)
    np.testing.assert_array_equal(
        plain.posterior.hyper.lengthscales, again.posterior.hyper.lengthscales
    )


def test_the_report_applies_the_rule_to_every_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gp_candidates.benchmarks_doc, "main", lambda: None)
    arms = {a: gp_candidates.ARMS[a] for a in ("default", "stag5", "prior-long")}
    results, doc = tmp_path / "results", tmp_path / "doc.md"
    gp_parallel.run_arms(arms, results, ["hartmann3_3d"], "0-1", 14)
    base = gp_parallel.finals(results, "default", "hartmann3_3d", 14)
    assert sorted(base) == [0, 1]
    # the prior variant far worse than the default, the stagnation arm far better
    for arm, factor in (("prior-long", 100.0), ("stag5", 0.01)):
        for seed in (0, 1):
            path = results / arm / "hartmann3_3d" / f"seed{seed}-budget14.json"
            record = json.loads(path.read_text())
            record["regret"] = factor * max(base.values()) + (1.0 if factor > 1 else 0.0)
            path.write_text(json.dumps(record))
    gp_candidates.report_candidates(
        results,
        doc,
        arms,
        "bench/x.py",
        "Title",
        "Intro.",
        [14],
        "nothing changes",
        ["hartmann3_3d"],
    )
    text = doc.read_text()
    assert "| hartmann3_3d |" in text and "Script: `bench/x.py`" in text
    assert "1 of 1 problems worse than 1.25x" in text
    assert text.rstrip().endswith("Met by: stagnation -> PI.")

"""The MACE variant of the engine (bench/gp_ablations.py, arm ``mace`` of bench/gp_greedy.py):
its proposal is a point of the Pareto front of EI, PI and UCB over the points each one's
search finds, drawn from the study seed, so proposals stay a function of the history."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from gp_ablations import MACE_ARMS, MaceGPStrategy, MaceProposer

from hpo_service.domain import FloatParam, History, Observation, Params, SearchSpace
from hpo_service.optimisation.encoding import encode_value
from hpo_service.optimisation.gp import GPConfig
from hpo_service.optimisation.gp.config import DEFAULT_XI
from hpo_service.optimisation.gp.proposer import LOCAL_MAXITER, N_STARTS
from hpo_service.optimisation.gp.surrogate import clear_cache
from hpo_service.optimisation.pareto import nondominated

SPACE = SearchSpace((FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)))


def _objective(params: Params) -> float:
    x, y = float(params["x"]), float(params["y"])
    return -((x - 0.3) ** 2) - (y - 0.7) ** 2 + 0.1 * math.sin(9 * x)


def _history(n: int) -> History:
    rng = np.random.default_rng(5)
    configs = [{"x": float(a), "y": float(b)} for a, b in rng.random((n, 2))]
    return History(completed=tuple(Observation(c, _objective(c)) for c in configs))


def _proposer(history: History, seed: int) -> MaceProposer:
    strategy = MaceGPStrategy(GPConfig())
    proposer = strategy.prepare(SPACE, history, seed)
    assert isinstance(proposer, MaceProposer)
    return proposer


def test_the_proposal_is_on_the_front_of_the_three_acquisitions() -> None:
    proposer = _proposer(_history(12), 3)
    surface = proposer._surface([])
    found = proposer._search(surface, proposer.pool, 4, 20)
    arms = [replace(surface.acquisition, name=a, xi=DEFAULT_XI[a]) for a in MACE_ARMS]
    mean, std = surface.posterior.predict(surface.features(found))
    scores = np.column_stack([a.evaluate(mean, std)[0] for a in arms])
    front = nondominated(scores)
    assert front[0], "the first candidate is not dominated"
    assert 1 < front.sum() < len(found), "a front of several points, not every point"
    # the front comes first, the rest after it
    assert np.all(front[: front.sum()]) and not np.any(front[front.sum() :])
    # the proposal is the first candidate of the prepared search
    params = proposer.prepared
    assert params is not None
    first = proposer._search(surface, proposer.pool, N_STARTS, LOCAL_MAXITER)[0]
    point = np.array([encode_value(p, float(params[p.name])) for p in SPACE.params])
    np.testing.assert_allclose(point, first, atol=1e-9)


def test_the_draw_follows_the_seed_and_proposals_repeat() -> None:
    history = _history(12)
    clear_cache()
    first = _proposer(history, 3).propose([], 1)
    clear_cache()
    assert _proposer(history, 3).propose([], 1) == first
    # the same model and pool: only the draw changes which point of the front comes first
    proposer = _proposer(history, 3)
    surface = proposer._surface([])
    firsts = {
        tuple(replace(proposer, draw=(d,))._search(surface, proposer.pool, 4, 20)[0])
        for d in range(8)
    }
    assert len(firsts) > 1

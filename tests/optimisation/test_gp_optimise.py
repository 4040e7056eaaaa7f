"""The acquisition search of a mixed space: the discrete climb of all starts in lockstep."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hpo_service.domain import SearchSpace
from hpo_service.optimisation.encoding import to_features
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.kernel import Array
from hpo_service.optimisation.gp.model import Hyperparameters
from hpo_service.optimisation.gp.optimise import (
    MAX_DISCRETE_ROUNDS,
    Surface,
    _local_discrete,
    maximise,
)
from hpo_service.optimisation.gp.posterior import Posterior
from hpo_service.wire import space_from_json

SPACE = space_from_json(
    [
        {"name": "x", "type": "float", "low": 0, "high": 1},
        {"name": "n", "type": "int", "low": 1, "high": 12},
        {"name": "k", "type": "int", "low": 0, "high": 30},
        {"name": "c", "type": "categorical", "choices": ["a", "b", "c", "d", "e"]},
    ]
)


@dataclass
class Counting:
    """A surface that counts its ``score`` calls (each is one triangular solve)."""

    surface: Surface
    calls: int = 0

    @property
    def space(self) -> SearchSpace:
        return self.surface.space

    def score(self, cube: Array, remember: bool = False) -> Array:
        self.calls += 1
        return self.surface.score(cube, remember)

    def score_with_gradient(self, cube: Array, cols: NDArray[np.intp]) -> tuple[Array, Array]:
        return self.surface.score_with_gradient(cube, cols)

    def near(self, point: Array) -> Counting:
        return self


def _surface() -> Surface:
    rng = np.random.default_rng(5)
    cube = rng.random((120, len(SPACE.params)))
    x = to_features(SPACE, cube)
    y = np.sin(6 * cube[:, 0]) + np.cos(9 * cube[:, 1]) - (cube[:, 2] - 0.7) ** 2 + cube[:, 3]
    width = x.shape[1]
    fitted = Posterior.fit(
        x, (y - y.mean()) / y.std(), Hyperparameters(np.full(width, 0.3), 1.0, 1e-3)
    )
    return Surface(SPACE, fitted, Acquisition("ei", float(y.max()), 0.0, 2.0))


def test_each_start_climbs_as_it_would_alone() -> None:
    surface = _surface()
    starts = np.random.default_rng(1).random((6, len(SPACE.params)))
    together, scores = _local_discrete(surface, starts)
    moved = 0
    for i, start in enumerate(starts):
        alone, score = _local_discrete(surface, start[None, :])
        np.testing.assert_array_equal(together[i], alone[0])
        np.testing.assert_allclose(scores[i], score[0], rtol=1e-12)
        moved += int(not np.array_equal(alone[0], start))
    assert moved >= 3  # the climb did move most starts
    np.testing.assert_allclose(scores, surface.score(together), rtol=1e-12)


def test_a_search_of_six_starts_scores_in_a_few_batches() -> None:
    counting = Counting(_surface())
    pool = np.random.default_rng(2).random((256, len(SPACE.params)))
    candidates, scores = maximise(counting, pool, n_starts=6, maxiter=30)
    # the pool, the climb's keep-or-revert check, then the discrete climb's starting scores
    # and one batch per round; one call per start and round was 6 x (1 + rounds) + 4
    assert counting.calls <= 3 + MAX_DISCRETE_ROUNDS
    assert scores[0] == scores.max()
    assert scores[0] >= counting.surface.score(pool).max()
    np.testing.assert_allclose(counting.surface.score(candidates[:1]), scores[:1], rtol=1e-9)

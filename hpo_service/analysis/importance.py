"""Parameter importance: a random forest on the trial history, impurity importances per parameter.

Each configuration is mapped to the unit cube (log parameters in log space, see
``optimisation/encoding.py``) and categoricals are one-hot encoded; a random forest
regressor is fitted to the values. The mean decrease in impurity of every feature column
(Breiman 2001) is summed over the columns of its parameter and normalised to sum to one,
so each number reads as "the share of the explained variance this parameter drives".
Large histories are fitted on a seeded sample of ``MAX_FIT_POINTS`` trials, which keeps
the call under a second at 10,000 trials.

Conditional parameters are imputed where inactive (absent) as the GP sees them: 0.5 in a
numeric column and an all-zero one-hot block (see ``optimisation/encoding.py``). A split
on a child's column can then partly separate active from inactive trials, so part of a
parent's effect may show on its children.

Fits are deterministic (fixed seed), so a cache of results keyed by a digest of the
observations returns exactly what a refit would: correctness never depends on it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import RandomForestRegressor

from hpo_service.domain import CategoricalParam, Observation, SearchSpace
from hpo_service.errors import NotEnoughTrials
from hpo_service.optimisation.encoding import encode, to_features
from hpo_service.optimisation.gp.memo import content_digests

MIN_COMPLETE = 2
MAX_FIT_POINTS = 2000
N_TREES = 64
METHOD = "random-forest mean decrease in impurity (unit-cube inputs, one-hot categoricals)"


@dataclass(frozen=True)
class Importance:
    """Normalised importance per parameter (in search-space order) and what it was fitted on."""

    values: dict[str, float]
    complete_trials: int
    fitted_on: int
    method: str = METHOD


def parameter_importance(space: SearchSpace, observations: Sequence[Observation]) -> Importance:
    """Fit a random forest to the observations and return each parameter's importance.

    Args:
        space: the study's search space.
        observations: complete trials (any sign convention; importance is sign-free).
    Returns:
        An Importance whose values sum to 1, or are all 0 for a constant objective.
    Raises:
        NotEnoughTrials: fewer than MIN_COMPLETE observations.
    """
    if len(observations) < MIN_COMPLETE:
        raise NotEnoughTrials(
            f"parameter importance needs at least {MIN_COMPLETE} complete trials; "
            f"the study has {len(observations)}"
        )
    chosen = _sample(len(observations))
    x = _features(space, [observations[i] for i in chosen])
    y = np.array([observations[i].value for i in chosen], dtype=np.float64)
    per_column = _forest_importances(x, y)
    return Importance(_per_parameter(space, per_column), len(observations), len(chosen))


def _sample(n: int) -> NDArray[np.intp]:
    if n <= MAX_FIT_POINTS:
        return np.arange(n)
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n, size=MAX_FIT_POINTS, replace=False))


def _features(space: SearchSpace, observations: Sequence[Observation]) -> NDArray[np.float64]:
    cube = np.array([encode(space, o.params) for o in observations], dtype=np.float64)
    return to_features(space, cube.reshape(-1, len(space.params)))


def _forest_importances(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    if float(np.ptp(y)) == 0.0:
        return np.zeros(x.shape[1])
    forest = RandomForestRegressor(
        n_estimators=N_TREES, min_samples_leaf=1, max_features=1.0, random_state=0, n_jobs=1
    )
    forest.fit(x, y)
    return np.asarray(forest.feature_importances_, dtype=np.float64)


def _per_parameter(space: SearchSpace, per_column: NDArray[np.float64]) -> dict[str, float]:
    values: dict[str, float] = {}
    column = 0
    for param in space.params:
        width = len(param.choices) if isinstance(param, CategoricalParam) else 1
        values[param.name] = float(per_column[column : column + width].sum())
        column += width
    total = sum(values.values())
    if total > 0:
        values = {name: value / total for name, value in values.items()}
    return values


def observations_digest(observations: Sequence[Observation]) -> str:
    """A digest of the observations that a cached result must match to be reused."""
    return content_digests(observations)[0]


class ImportanceCache:
    """A small thread-safe LRU of results, keyed by (study, complete trials), checked by digest."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[Hashable, tuple[str, Importance]] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: Hashable, digest: str) -> Importance | None:
        """The cached result for ``key`` if it was computed on the same observations."""
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != digest:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, digest: str, result: Importance) -> None:
        """Remember a result, evicting the least recently used beyond ``size``."""
        with self._lock:
            self._items[key] = (digest, result)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests show results do not depend on the cache)."""
        with self._lock:
            self._items.clear()

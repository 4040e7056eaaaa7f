"""Parameter importance: the random forest ranks what drives the value, deterministically."""

from __future__ import annotations

import random
from typing import Any

import pytest

from hpo_service.analysis import (
    MIN_COMPLETE,
    ImportanceCache,
    NotEnoughTrials,
    parameter_importance,
)
from hpo_service.analysis.importance import MAX_FIT_POINTS, observations_digest
from hpo_service.domain import (
    CategoricalParam,
    FloatParam,
    IntParam,
    Observation,
    SearchSpace,
)

SPACE = SearchSpace(
    (
        FloatParam("lr", 1e-4, 1e-1, log=True),
        IntParam("layers", 1, 4),
        CategoricalParam("activation", ("relu", "tanh", "logistic")),
        FloatParam("noise", 0.0, 1.0),
    )
)


def observations(n: int, value: float | None = None, seed: int = 0) -> list[Observation]:
    """Configurations whose value is driven by the activation, then lr, never by noise."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        params: dict[str, Any] = {
            "lr": 10 ** rng.uniform(-4, -1),
            "layers": rng.randint(1, 4),
            "activation": rng.choice(["relu", "tanh", "logistic"]),
            "noise": rng.random(),
        }
        score = {"relu": 3.0, "tanh": 1.0, "logistic": 0.0}[params["activation"]]
        score -= abs(params["lr"] ** 0.25 - 0.1) * 2
        out.append(Observation(params, score if value is None else value))
    return out


def test_ranks_the_parameters_that_drive_the_value() -> None:
    result = parameter_importance(SPACE, observations(200))
    ranked = sorted(result.values, key=lambda name: -result.values[name])
    assert ranked[0] == "activation"
    assert result.values["activation"] > 0.5
    assert result.values["lr"] > result.values["noise"]
    assert list(result.values) == SPACE.names
    assert sum(result.values.values()) == pytest.approx(1.0)
    assert result.complete_trials == result.fitted_on == 200


def test_is_deterministic() -> None:
    history = observations(60)
    assert parameter_importance(SPACE, history) == parameter_importance(SPACE, history)


def test_needs_two_complete_trials() -> None:
    with pytest.raises(NotEnoughTrials, match="at least 2 complete trials; the study has 1"):
        parameter_importance(SPACE, observations(MIN_COMPLETE - 1))
    assert set(parameter_importance(SPACE, observations(2)).values) == set(SPACE.names)


def test_a_constant_objective_has_no_important_parameter() -> None:
    result = parameter_importance(SPACE, observations(20, value=0.5))
    assert set(result.values.values()) == {0.0}


def test_large_histories_are_fitted_on_a_sample() -> None:
    result = parameter_importance(SPACE, observations(MAX_FIT_POINTS + 500))
    assert result.fitted_on == MAX_FIT_POINTS
    assert result.complete_trials == MAX_FIT_POINTS + 500
    assert max(result.values, key=lambda name: result.values[name]) == "activation"


def test_cache_returns_only_results_for_the_same_observations() -> None:
    cache = ImportanceCache(size=2)
    history = observations(10)
    result = parameter_importance(SPACE, history)
    digest = observations_digest(history)
    cache.put(("s", 10), digest, result)
    assert cache.get(("s", 10), digest) is result
    assert cache.get(("s", 10), observations_digest(observations(10, seed=1))) is None
    cache.put(("t", 1), "x", result)
    cache.put(("u", 1), "y", result)
    assert cache.get(("s", 10), digest) is None  # evicted, least recently used
    cache.clear()
    assert cache.get(("u", 1), "y") is None

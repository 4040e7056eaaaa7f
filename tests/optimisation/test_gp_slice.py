"""posterior_slice: the dashboard's one-parameter view of the GP."""

from __future__ import annotations

import math

import pytest

from hpo_service.domain import History
from hpo_service.errors import InvalidParams, InvalidRequest, InvalidStrategy
from hpo_service.optimisation import posterior_slice
from tests.optimisation.conftest import FLOAT_SPACE, MIXED_SPACE, history_of


@pytest.mark.parametrize("acquisition", ["ei", "ucb", "pi"])
def test_slice_along_a_float_parameter(acquisition: str) -> None:
    history = history_of(FLOAT_SPACE, 12)
    config = {"name": "gp", "acquisition": acquisition}
    result = posterior_slice(FLOAT_SPACE, history, config, 0, "x", points=25)
    assert len(result["grid"]) == len(result["mean"]) == len(result["std"]) == 25
    assert len(result["acquisition_values"]) == 25
    assert result["grid"][0] == -2.0 and result["grid"][-1] == 3.0
    assert all(
        math.isfinite(v) and s >= 0 for v, s in zip(result["mean"], result["std"], strict=True)
    )
    best = max(history.completed, key=lambda o: o.value)
    assert result["held"] == best.params
    assert len(result["observed"]) == 12
    assert FLOAT_SPACE.check(result["next"]) == result["next"]
    if acquisition == "pi":
        assert all(0.0 <= a <= 1.0 for a in result["acquisition_values"])


def test_mean_is_in_the_objective_units_and_interpolates_the_best_trial() -> None:
    history = history_of(FLOAT_SPACE, 12)
    best = max(history.completed, key=lambda o: o.value)
    result = posterior_slice(FLOAT_SPACE, history, {"name": "gp"}, 0, "x", points=200)
    nearest = min(range(200), key=lambda i: abs(result["grid"][i] - best.params["x"]))
    spread = max(o.value for o in history.completed) - min(o.value for o in history.completed)
    assert abs(result["mean"][nearest] - best.value) < 0.1 * spread


def test_categorical_and_integer_grids_use_the_parameters_own_values() -> None:
    history = history_of(MIXED_SPACE, 12)
    activation = posterior_slice(MIXED_SPACE, history, {"name": "gp"}, 0, "activation")
    assert activation["grid"] == ["relu", "tanh", "gelu"]
    layers = posterior_slice(MIXED_SPACE, history, {"name": "gp"}, 0, "layers", points=50)
    assert layers["grid"] == [1, 2, 3, 4, 5, 6]


def test_errors_are_actionable() -> None:
    history = history_of(FLOAT_SPACE, 12)
    with pytest.raises(InvalidStrategy, match="needs a gp strategy"):
        posterior_slice(FLOAT_SPACE, history, {"name": "random"}, 0, "x")
    with pytest.raises(InvalidParams, match="unknown parameter 'z'"):
        posterior_slice(FLOAT_SPACE, history, {"name": "gp"}, 0, "z")
    with pytest.raises(InvalidRequest, match="at least 2 completed trials"):
        posterior_slice(
            FLOAT_SPACE, History(completed=history.completed[:1]), {"name": "gp"}, 0, "x"
        )

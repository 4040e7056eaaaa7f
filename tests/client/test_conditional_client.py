"""A conditional study through the Python client: define, suggest, optimise, read back."""

from __future__ import annotations

import pytest

from hpo_service.client import Client
from hpo_service.domain import (
    CategoricalParam,
    Condition,
    FloatParam,
    IntParam,
    Params,
    SearchSpace,
    TrialState,
)
from hpo_service.errors import InvalidParams

SPACE = SearchSpace(
    (
        IntParam("n_layers", 1, 3),
        IntParam("units_2", 8, 128, log=True, condition=Condition("n_layers", (2, 3))),
        CategoricalParam("solver", ("adam", "sgd")),
        FloatParam("momentum", 0.0, 0.99, condition=Condition("solver", ("sgd",))),
    )
)


def objective(params: Params) -> float:
    """Best with two layers of 64 units and sgd at momentum 0.9; reads only active keys."""
    value = -abs(int(params["n_layers"]) - 2)
    if "units_2" in params:
        value -= abs(int(params["units_2"]) - 64) / 64
    if params["solver"] == "sgd":
        value -= abs(float(params["momentum"]) - 0.9)
    else:
        value -= 0.5
    return value


def test_a_conditional_study_round_trips_through_the_client(hpo: Client) -> None:
    study = hpo.create_study(
        "cond",
        SPACE.params,
        direction="maximize",
        strategy={"name": "gp", "n_initial": 5},
        seed=3,
        max_trials=16,
    )
    assert study.definition.space == SPACE
    assert hpo.get_study("cond").definition.space.params[1].condition == Condition(
        "n_layers", (2, 3)
    )
    finished = study.optimize(objective, n_trials=14)
    assert len(finished) == 14
    for trial in study.trials(state="complete"):
        assert trial.state is TrialState.COMPLETE
        assert list(trial.params) == [p.name for p in SPACE.active(trial.params)]
    best = study.best()
    assert best is not None and best.value == max(t.value or -9 for t in finished)
    with pytest.raises(InvalidParams, match="'momentum' is inactive"):
        study.record({"n_layers": 1, "solver": "adam", "momentum": 0.5}, 0.1)
    recorded = study.record({"n_layers": 1, "solver": "adam"}, -1.5)
    assert recorded.params == {"n_layers": 1, "solver": "adam"}

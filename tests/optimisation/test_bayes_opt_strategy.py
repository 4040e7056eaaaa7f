"""The bayes_opt strategy: the library's own optimiser, rebuilt from the service's history."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from bayes_opt import BayesianOptimization, acquisition
from flask.testing import FlaskClient

from hpo_service.domain import (
    CategoricalParam,
    Condition,
    FloatParam,
    History,
    Observation,
    SearchSpace,
)
from hpo_service.errors import InvalidStrategy
from hpo_service.optimisation import build_strategy, normalise_strategy
from hpo_service.optimisation.base import suggest
from hpo_service.optimisation.bayes_opt_strategy import BayesOptConfig
from hpo_service.optimisation.encoding import decode, encode
from tests.conftest import study_body
from tests.optimisation.conftest import FLOAT_SPACE, history_of


def test_defaults_are_the_library_defaults() -> None:
    config = normalise_strategy({"name": "bayes_opt"}, FLOAT_SPACE)
    assert config == {
        "name": "bayes_opt",
        "acquisition": "ucb",
        "kappa": 2.576,
        "xi": 0.01,
        "exploration_decay": None,
        "exploration_decay_delay": None,
        "init_points": 5,
        "liar": "max",
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"acquisition": "lcb"}, "'acquisition' must be one of"),
        ({"kappa": -1}, "'kappa' must lie in"),
        ({"xi": "big"}, "'xi' must be a finite number"),
        ({"exploration_decay": 0}, "'exploration_decay' must be > 0"),
        ({"exploration_decay": 1.5}, "'exploration_decay' must lie in"),
        ({"init_points": 0}, "'init_points' must be an integer"),
        ({"liar": "median"}, "'liar' must be one of"),
        ({"n_initial": 3}, "has no options ['n_initial']"),
    ],
)
def test_bad_options_are_refused_with_a_reason(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidStrategy, match=message.replace("[", r"\[").replace("]", r"\]")):
        normalise_strategy({"name": "bayes_opt", **options}, FLOAT_SPACE)


def test_a_conditional_space_is_searched_in_the_unit_cube() -> None:
    space = SearchSpace(
        (
            CategoricalParam("kind", ("a", "b")),
            FloatParam("y", 0.0, 1.0, condition=Condition("kind", ("b",))),
        )
    )
    config = normalise_strategy({"name": "bayes_opt", "init_points": 2}, space)
    seen = [{"kind": "a"}, {"kind": "b", "y": 0.2}, {"kind": "b", "y": 0.9}]
    history = History(completed=tuple(Observation(p, i / 3) for i, p in enumerate(seen)))
    proposals = suggest(build_strategy(config), space, history, 4, seed=3)
    for params in proposals:  # inactive y is absent, active y present and in bounds
        assert space.check(params) == params
        assert ("y" in params) == (params["kind"] == "b")


def test_a_proposal_is_what_the_library_suggests_on_the_same_observations() -> None:
    """The oracle: the library used by hand, with the random state the strategy derives."""
    history = history_of(FLOAT_SPACE, 8)
    config = normalise_strategy({"name": "bayes_opt", "acquisition": "ei"}, FLOAT_SPACE)
    [proposal] = build_strategy(config).prepare(FLOAT_SPACE, history, 7).propose([], 1)

    state = np.random.SeedSequence([7, history.size]).generate_state(1)[0]
    optimizer = BayesianOptimization(
        f=None,
        pbounds={"x": (0.0, 1.0), "y": (0.0, 1.0)},
        acquisition_function=acquisition.ExpectedImprovement(xi=0.01),
        random_state=np.random.RandomState(int(state)),
        verbose=0,
    )
    for obs in history.completed:
        point = encode(FLOAT_SPACE, obs.params)
        optimizer.register(params={"x": point[0], "y": point[1]}, target=obs.value)
    expected = optimizer.suggest()
    assert proposal == decode(FLOAT_SPACE, [expected["x"], expected["y"]])


def test_exploration_decay_is_replayed_from_the_number_of_earlier_suggestions() -> None:
    config = BayesOptConfig(kappa=2.0, exploration_decay=0.5, exploration_decay_delay=2)
    liar: Any = config.acquisition_function(earlier=4)
    # the library decays after suggestions i = 2, 3, 4 (i >= delay): three times
    assert liar.base_acquisition.kappa == pytest.approx(2.0 * 0.5**3)
    assert liar.base_acquisition.i == 4
    assert BayesOptConfig(kappa=2.0).acquisition_function(9).base_acquisition.kappa == 2.0


def test_repeated_and_non_finite_observations_do_not_break_the_library() -> None:
    same = {"x": 0.5, "y": 0.5}
    completed = (
        Observation(same, 1.0),
        Observation(same, 3.0),
        Observation({"x": 1.0, "y": 0.0}, float("nan")),
        *history_of(FLOAT_SPACE, 6).completed,
    )
    history = History(completed=completed, pending=(same, same))
    config = normalise_strategy({"name": "bayes_opt", "init_points": 2}, FLOAT_SPACE)
    proposals = build_strategy(config).prepare(FLOAT_SPACE, history, 3).propose([same, same], 2)
    assert len({FLOAT_SPACE.key(p) for p in proposals}) == 2
    assert FLOAT_SPACE.key(same) not in {FLOAT_SPACE.key(p) for p in proposals}


def test_over_rest_a_bayes_opt_study_suggests_and_bad_options_are_422(
    client: FlaskClient,
) -> None:
    body = study_body(strategy={"name": "bayes_opt", "acquisition": "ei", "xi": 0.05}, seed=3)
    created = client.post("/api/v1/studies", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["strategy"]["xi"] == 0.05
    path = f"/api/v1/studies/{body['name']}"
    for value in (0.9, 0.8):
        (trial,) = client.post(f"{path}/suggestions", json={}).get_json()["trials"]
        client.post(f"{path}/trials/{trial['number']}/report", json={"value": value})
    suggested = client.post(f"{path}/suggestions", json={"count": 2}).get_json()["trials"]
    assert len({json.dumps(t["params"], sort_keys=True) for t in suggested}) == 2
    bad = study_body(name="bad", strategy={"name": "bayes_opt", "acquisition": "lcb"})
    answer = client.post("/api/v1/studies", json=bad)
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "invalid-strategy"
    assert "'acquisition' must be one of ['ucb', 'ei', 'pi']" in answer.get_json()["detail"]

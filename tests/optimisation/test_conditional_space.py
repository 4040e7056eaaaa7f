"""Conditional parameters: the space's rules, the encoding, the grid tree, the GP and its slice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpo_service.analysis import parameter_importance
from hpo_service.domain import (
    CategoricalParam,
    Condition,
    FloatParam,
    History,
    IntParam,
    Observation,
    Param,
    Params,
    SearchSpace,
)
from hpo_service.errors import InvalidParams, InvalidRequest, InvalidSearchSpace
from hpo_service.optimisation import (
    build_strategy,
    grid_size,
    normalise_strategy,
    posterior_slice,
    suggest,
)
from hpo_service.optimisation.encoding import (
    INACTIVE,
    INACTIVE_FEATURE,
    active_mask,
    decode,
    encode,
    snap,
    to_features,
)
from hpo_service.optimisation.gp.proposer import candidate_pool
from hpo_service.optimisation.gp.surrogate import build_surrogate
from hpo_service.optimisation.grid_search import GridStrategy
from hpo_service.optimisation.random_search import sobol_points
from tests.optimisation.conftest import CONDITIONAL_SPACE as SPACE
from tests.optimisation.conftest import history_of

SHALLOW: Params = {"n_layers": 1, "solver": "adam", "lr": 0.01}


def space_with(*params: Param) -> SearchSpace:
    """A space whose first parameter is the int parent ``k`` in [1, 3]."""
    return SearchSpace((IntParam("k", 1, 3), *params))


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        (Condition("later", (1,)), "must name a parameter listed earlier"),
        (Condition("missing", (1,)), "must name a parameter listed earlier"),
        (Condition("x", (0.5,)), "only categorical or int parameters can be parents"),
        (Condition("k", ()), "at least one value"),
        (Condition("k", (7,)), "'in' value 7 is invalid"),
        (Condition("k", (2, 2.0)), "'in' value 2.0 is repeated"),
        (Condition("k", ("two",)), "'in' value 'two' is invalid"),
    ],
)
def test_bad_conditions_are_refused_with_the_reason(condition: Condition, fragment: str) -> None:
    with pytest.raises(InvalidSearchSpace, match=fragment):
        space_with(
            FloatParam("x", 0.0, 1.0),
            FloatParam("y", 0.0, 1.0, condition=condition),
            IntParam("later", 1, 2),
        )


def test_a_parameter_cannot_be_its_own_parent() -> None:
    with pytest.raises(InvalidSearchSpace, match="listed earlier"):
        space_with(IntParam("z", 1, 2, condition=Condition("z", (1,))))


def test_active_parameters_follow_nested_conditions() -> None:
    sgd = {"n_layers": 3, "solver": "sgd", "nesterov": True, "lr": 0.01}
    assert [p.name for p in SPACE.active(sgd)] == [
        "n_layers",
        "units_2",
        "units_3",
        "solver",
        "momentum",
        "nesterov",
        "nesterov_boost",
        "lr",
    ]
    assert [p.name for p in SPACE.active(SHALLOW)] == ["n_layers", "solver", "lr"]
    assert not SPACE.is_active("nesterov_boost", {**sgd, "nesterov": False})
    # a grandchild is inactive when its parent is, whatever value is lying around
    assert not SPACE.is_active("nesterov_boost", {**SHALLOW, "nesterov": True})


def test_check_wants_exactly_the_active_parameters() -> None:
    assert SPACE.check(SHALLOW) == SHALLOW
    with pytest.raises(InvalidParams, match=r"'units_2' is inactive.*n_layers in \[2, 3\]"):
        SPACE.check({**SHALLOW, "units_2": 32})
    with pytest.raises(InvalidParams, match=r"'nesterov_boost' is inactive.*nesterov is inactive"):
        SPACE.check({**SHALLOW, "nesterov_boost": 0.5})
    with pytest.raises(InvalidParams, match=r"missing values for parameters \['units_2'\]"):
        SPACE.check({**SHALLOW, "n_layers": 2})
    with pytest.raises(InvalidParams, match=r"missing values for parameters \['n_layers'\]"):
        SPACE.check({"solver": "adam", "lr": 0.01, "units_2": 8})


def test_key_ignores_inactive_values_and_never_raises_on_absent_ones() -> None:
    assert SPACE.key(SHALLOW) == SPACE.key({**SHALLOW, "units_2": 64, "momentum": 0.5})
    assert SPACE.key(SHALLOW) != SPACE.key({**SHALLOW, "n_layers": 2, "units_2": 64})
    assert SPACE.key({"n_layers": 2}) == SPACE.key({"n_layers": 2})


def test_decode_drops_inactive_parameters_and_encode_imputes_the_constant() -> None:
    for point in sobol_points(len(SPACE.params), 0, 0, 64):
        params = decode(SPACE, point)
        assert SPACE.check(params) == params
        cube = encode(SPACE, params)
        inactive = [j for j, p in enumerate(SPACE.params) if p.name not in params]
        assert np.all(cube[inactive] == INACTIVE)
        assert decode(SPACE, cube) == params
        assert np.allclose(snap(SPACE, point[None, :])[0], cube)


def test_features_impute_the_centre_and_an_empty_one_hot_block() -> None:
    cube = encode(SPACE, SHALLOW)[None, :]
    assert active_mask(SPACE, cube)[0].tolist() == [1, 0, 0, 1, 0, 0, 0, 1]
    features = to_features(SPACE, cube)[0]
    # n_layers, units_2, units_3, solver x3, momentum, nesterov x2, nesterov_boost, lr
    assert features[1] == features[2] == features[6] == features[9] == INACTIVE_FEATURE
    assert features[7] == features[8] == 0.0
    assert features[3:6].tolist() == [1.0, 0.0, 0.0]


def test_grid_enumerates_the_tree_without_repeats() -> None:
    space = SearchSpace(
        (
            IntParam("n_layers", 1, 3),
            IntParam("units_2", 8, 64, condition=Condition("n_layers", (2, 3))),
            CategoricalParam("solver", ("adam", "sgd")),
            FloatParam("momentum", 0.0, 0.9, condition=Condition("solver", ("sgd",))),
        )
    )
    config = normalise_strategy({"name": "grid", "grid": 3}, space)
    combos = list(GridStrategy(config).prepare(space, History(), 0)._combinations())
    # n_layers: 1 + 2 * 3 units; solver: adam + 3 momenta
    assert grid_size(space, config) == len(combos) == 7 * 4
    assert len({space.key(c) for c in combos}) == len(combos)
    assert all(space.check(c) == c for c in combos)
    assert combos[0] == {"n_layers": 1, "solver": "adam"}


def test_grid_size_counts_without_enumerating_large_grids() -> None:
    space = SearchSpace(
        (
            CategoricalParam("kind", tuple(f"k{i}" for i in range(1000))),
            IntParam("a", 1, 1000, condition=Condition("kind", ("k0",))),
            FloatParam("b", 0.0, 1.0),
            FloatParam("c", 0.0, 1.0),
        )
    )
    config = normalise_strategy({"name": "grid", "grid": 1000}, space)
    assert grid_size(space, config) == (999 + 1000) * 1000 * 1000


def test_gp_pool_is_snapped_and_has_one_row_per_configuration() -> None:
    history = history_of(SPACE, 12)
    surrogate = build_surrogate(SPACE, history.completed, 0)
    rng = np.random.default_rng(0)
    pool = candidate_pool(SPACE, surrogate, np.empty((0, 8)), rng)
    assert np.allclose(snap(SPACE, pool), pool)
    keys = [SPACE.key(decode(SPACE, row)) for row in pool]
    assert len(set(keys)) == len(keys)


def test_gp_finds_the_good_branch_of_a_conditional_objective() -> None:
    """Maximise -(momentum - 0.7)^2 on sgd; adam and lbfgs are flat at -1."""
    space = SearchSpace(
        (
            CategoricalParam("solver", ("adam", "sgd", "lbfgs")),
            FloatParam("momentum", 0.0, 0.99, condition=Condition("solver", ("sgd",))),
        )
    )

    def value(params: Params) -> float:
        return -((float(params["momentum"]) - 0.7) ** 2) if params["solver"] == "sgd" else -1.0

    strategy = build_strategy(normalise_strategy({"name": "gp", "n_initial": 4}, space))
    completed: list[Observation] = []
    for _ in range(14):
        (params,) = suggest(strategy, space, History(completed=tuple(completed)), 1, seed=3)
        assert space.check(params) == params
        completed.append(Observation(params, value(params)))
    best = max(completed, key=lambda o: o.value)
    assert best.params["solver"] == "sgd" and abs(float(best.params["momentum"]) - 0.7) < 0.1


def test_slice_of_a_conditional_parameter_holds_a_trial_where_it_is_active() -> None:
    history = history_of(SPACE, 16)
    result = posterior_slice(SPACE, history, {"name": "gp"}, 0, "momentum", points=20)
    assert result["held"]["solver"] == "sgd"
    assert len(result["observed"]) == sum("momentum" in o.params for o in history.completed)
    assert all(math.isfinite(m) for m in result["mean"])
    parent = posterior_slice(SPACE, history, {"name": "gp"}, 0, "n_layers", points=20)
    assert parent["grid"] == [1, 2, 3] and len(parent["mean"]) == 3


def test_slice_of_a_never_active_parameter_says_why_not() -> None:
    history = History(
        completed=tuple(Observation({**SHALLOW, "lr": lr}, lr) for lr in (0.001, 0.01, 0.03, 0.09))
    )
    with pytest.raises(InvalidRequest, match="active only when solver in \\['sgd'\\]"):
        posterior_slice(SPACE, history, {"name": "gp"}, 0, "momentum", points=20)


def test_importance_imputes_absent_values() -> None:
    history = history_of(SPACE, 40)
    result = parameter_importance(SPACE, history.completed)
    assert set(result.values) == set(SPACE.names)
    assert sum(result.values.values()) == pytest.approx(1.0)

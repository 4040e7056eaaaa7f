"""Fixtures for strategy tests: search spaces, histories and every strategy configuration."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hpo_service.domain import (
    CategoricalParam,
    Condition,
    FloatParam,
    History,
    IntParam,
    Observation,
    Params,
    SearchSpace,
)
from hpo_service.optimisation import build_strategy, normalise_strategy
from hpo_service.optimisation.base import Strategy
from hpo_service.optimisation.encoding import decode
from hpo_service.optimisation.gp.surrogate import clear_cache
from hpo_service.optimisation.random_search import sobol_points

STRATEGY_CONFIGS: dict[str, dict[str, Any]] = {
    "random": {"name": "random"},
    "grid": {"name": "grid", "grid": 4},
    "gp-ei": {"name": "gp", "acquisition": "ei", "n_initial": 4},
    "gp-ucb": {"name": "gp", "acquisition": "ucb", "n_initial": 4},
    "gp-pi": {"name": "gp", "acquisition": "pi", "n_initial": 4},
    "bayes_opt-ucb": {"name": "bayes_opt", "acquisition": "ucb", "init_points": 4},
    "bayes_opt-ei": {"name": "bayes_opt", "acquisition": "ei", "init_points": 4},
    "bayes_opt-pi": {"name": "bayes_opt", "acquisition": "pi", "init_points": 4},
}

FLOAT_SPACE = SearchSpace((FloatParam("x", -2.0, 3.0), FloatParam("y", 0.0, 1.0)))
MIXED_SPACE = SearchSpace(
    (
        FloatParam("lr", 1e-5, 1e-1, log=True),
        IntParam("layers", 1, 6),
        IntParam("width", 8, 512, log=True),
        CategoricalParam("activation", ("relu", "tanh", "gelu")),
        CategoricalParam("batch_norm", (True, False)),
    )
)
CONDITIONAL_SPACE = SearchSpace(
    (
        IntParam("n_layers", 1, 3),
        IntParam("units_2", 8, 256, log=True, condition=Condition("n_layers", (2, 3))),
        IntParam("units_3", 8, 256, log=True, condition=Condition("n_layers", (3,))),
        CategoricalParam("solver", ("adam", "sgd", "lbfgs")),
        FloatParam("momentum", 0.0, 0.99, condition=Condition("solver", ("sgd",))),
        CategoricalParam("nesterov", (True, False), condition=Condition("solver", ("sgd",))),
        FloatParam("nesterov_boost", 0.0, 1.0, condition=Condition("nesterov", (True,))),
        FloatParam("lr", 1e-4, 1e-1, log=True),
    )
)
SPACES = {"float": FLOAT_SPACE, "mixed": MIXED_SPACE, "conditional": CONDITIONAL_SPACE}


def toy_objective(space: SearchSpace, params: Params) -> float:
    """A smooth deterministic value for any configuration of the test spaces (to maximise)."""
    total = 0.0
    for param in space.active(params):
        value = params[param.name]
        if isinstance(param, CategoricalParam):
            total += 0.3 * param.choices.index(value)
        else:
            number = float(value)
            if param.log:
                number = math.log(number)
            total -= (number - 0.3 * (param.low + param.high)) ** 2 / (1 + abs(param.high))
    return total


def history_of(space: SearchSpace, completed: int, pending: int = 0, seed: int = 3) -> History:
    """Completed Sobol configurations with toy values, followed by pending ones."""
    points = sobol_points(len(space.params), seed, 0, completed + pending)
    configs = [decode(space, p) for p in points]
    done = tuple(Observation(c, toy_objective(space, c)) for c in configs[:completed])
    return History(completed=done, pending=tuple(configs[completed:]))


@pytest.fixture(autouse=True)
def _fresh_gp_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


# bayes_opt's EI and PI differ from its UCB only in the library's acquisition object, which
# sees the unit cube whatever the space: UCB covers the encoding of every space, and EI / PI
# run on the float space (on the other two they cost about 75 s of library time).
CONTRACT_CASES = [
    (name, space)
    for name in sorted(STRATEGY_CONFIGS)
    for space in sorted(SPACES)
    if name not in ("bayes_opt-ei", "bayes_opt-pi") or space == "float"
]


@pytest.fixture(params=CONTRACT_CASES, ids=["-".join(case) for case in CONTRACT_CASES])
def contract_case(request: pytest.FixtureRequest) -> tuple[str, str]:
    """A strategy configuration of the contract suite and a space to run it on."""
    name, space = request.param
    return str(name), str(space)


@pytest.fixture
def strategy_name(contract_case: tuple[str, str]) -> str:
    """The case's strategy configuration."""
    return contract_case[0]


@pytest.fixture
def space(contract_case: tuple[str, str]) -> SearchSpace:
    """The case's space: float-only, mixed (log, int, categorical, bool) or conditional."""
    return SPACES[contract_case[1]]


@pytest.fixture
def make_strategy() -> Callable[[str, SearchSpace], Strategy]:
    """Normalise and build a strategy by its contract-suite name."""

    def make(name: str, space: SearchSpace) -> Strategy:
        return build_strategy(normalise_strategy(STRATEGY_CONFIGS[name], space))

    return make

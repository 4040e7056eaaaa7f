"""Strategies that propose configurations: random, grid, Gaussian-process BO, bayes_opt.

Never imports persistence or api: strategies receive history and return proposals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hpo_service.domain import SearchSpace
from hpo_service.errors import InvalidStrategy
from hpo_service.optimisation.base import Proposer, Strategy, StrategyFactory, suggest
from hpo_service.optimisation.bayes_opt_strategy import BayesOptFactory
from hpo_service.optimisation.gp import GPFactory, posterior_at, posterior_slice
from hpo_service.optimisation.grid_search import GridFactory, grid_size
from hpo_service.optimisation.random_search import RandomFactory

FACTORIES: dict[str, StrategyFactory] = {
    "random": RandomFactory(),
    "grid": GridFactory(),
    "gp": GPFactory(),
    "bayes_opt": BayesOptFactory(),
}


def _factory(config: Mapping[str, Any]) -> StrategyFactory:
    name = config.get("name")
    if name not in FACTORIES:
        raise InvalidStrategy(f"unknown strategy {name!r}; choose one of {sorted(FACTORIES)}")
    return FACTORIES[str(name)]


def normalise_strategy(config: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
    """Validate a strategy configuration against a space and fill in its defaults."""
    return _factory(config).normalise(config, space)


def build_strategy(config: Mapping[str, Any]) -> Strategy:
    """Build the strategy of a normalised configuration."""
    return _factory(config).build(config)


__all__ = [
    "FACTORIES",
    "Proposer",
    "Strategy",
    "build_strategy",
    "grid_size",
    "normalise_strategy",
    "posterior_at",
    "posterior_slice",
    "suggest",
]

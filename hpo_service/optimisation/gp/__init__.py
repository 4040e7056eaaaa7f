"""Gaussian-process Bayesian optimisation (the ``gp`` strategy): EI, UCB and PI."""

from __future__ import annotations

from hpo_service.optimisation.gp.config import GPConfig
from hpo_service.optimisation.gp.recommend import posterior_at
from hpo_service.optimisation.gp.slice import posterior_slice
from hpo_service.optimisation.gp.strategy import GPFactory, GPStrategy

__all__ = [
    "GPConfig",
    "GPFactory",
    "GPStrategy",
    "posterior_at",
    "posterior_slice",
]

"""Variants of the gp engine with one improvement taken out, for ablation benchmarks.

The engine (hpo_service/optimisation/gp) ships only the method: it has no switches to turn
its improvements off. A variant measured against it is built here, by subclassing the one
engine part it changes, and run like the default (``gp_runners.engine_runner``).

Ablations measured earlier through engine switches that have since been removed (unit cube,
standardisation, ARD, noise term and priors, warm start, Sobol initial design, multi-start
L-BFGS-B, log EI, the plain-EI polish, and the parallel rules) are recorded, with the commit
that measured them, in docs/benchmarks/gp.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from hpo_service.domain import Observation, SearchSpace
from hpo_service.optimisation.gp import GPStrategy
from hpo_service.optimisation.gp.surrogate import Surrogate, build_surrogate


class UnwarpedGPStrategy(GPStrategy):
    """The engine without the output warp: its GP models the standardised raw values
    (docs/benchmarks/gp_suite.md, method ``engine-nowarp``)."""

    def surrogate(
        self, space: SearchSpace, observations: Sequence[Observation], seed: int
    ) -> Surrogate:
        """The GP of the observations, unwarped."""
        return build_surrogate(space, observations, seed, warp=False)

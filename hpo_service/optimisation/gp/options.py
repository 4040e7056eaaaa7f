"""Engine choices of the gp strategy; the defaults are the measured best (docs/benchmarks/gp.md).

Each flag switches off one of the improvements over bayes_opt's defaults so that the
benchmark can measure it; users configure the strategy through ``config.py`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hpo_service.optimisation.gp.model import ModelOptions


@dataclass(frozen=True)
class EngineOptions:
    """Modelling and acquisition-optimisation choices."""

    model: ModelOptions = field(default_factory=ModelOptions)
    unit_cube: bool = True
    standardise: bool = True
    sobol_initial: bool = True
    local_search: bool = True
    log_acquisition: bool = True
    n_starts: int = 6
    pool_size: int = 1024
    local_maxiter: int = 100
    perturbations: int = 128
    believe_incumbent: bool = True
    # pending points believed as the latent function (variance 0 there), not as a noisy
    # observation, whose variance floor let batch proposals land on top of each other
    noisy_belief: bool = False
    batched_local: bool = True
    polish_plain: bool = True
    quick_under_lock: bool = True
    shortlist_size: int = 64
    lock_starts: int = 2
    max_believed: int = 64  # kriging believer: the most recent pending points only

"""The GP's estimate of configurations already evaluated: the recommendation of a noisy study.

A study's best observed value is the maximum of noisy estimates, so it flatters whichever
configuration was luckiest (the winner's curse). The GP models each observation as
y_i = f(x_i) + e_i with Gaussian noise of fitted variance sn2, so its posterior mean of the
latent f at an evaluated point, k(x, X) (K + sn2 I)^-1 y (GPML eq. 2.25), pools the evidence of
nearby configurations and shrinks a lucky value towards what its neighbours say. Ranking the
evaluated configurations by that mean is the "best posterior mean" recommendation used by
Vizier and BoTorch for noisy problems (recommending only configurations that were run).

The fit is ``suggest``'s surrogate fitted to the unwarped values (``suggest`` models
Yeo-Johnson-warped ones), so the posterior mean is in the objective's own units; like every
fit it is a function of the history and the seed, memoised by content, so every process gives
the same ranking.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from hpo_service.domain import History, Params, SearchSpace
from hpo_service.errors import SurrogateUnavailable
from hpo_service.optimisation.encoding import to_features
from hpo_service.optimisation.gp.model import NumericalError
from hpo_service.optimisation.gp.strategy import MIN_OBSERVATIONS, SEED_MODULUS
from hpo_service.optimisation.gp.surrogate import build_surrogate, cube_of, finite
from hpo_service.optimisation.gp.threads import single_threaded_blas

Array = NDArray[np.float64]


def posterior_at(
    space: SearchSpace, history: History, seed: int, points: Sequence[Params]
) -> tuple[Array, Array]:
    """Posterior mean and standard deviation of the latent objective at ``points``.

    In the history's maximised units (``history.completed`` is sign-flipped so larger is
    better): mean * sd_y + mean_y and std * sd_y, undoing the output standardisation.

    Raises:
        SurrogateUnavailable: fewer than two finite observations, or the fit failed.
    """
    observations = finite(history.completed)
    if len(observations) < MIN_OBSERVATIONS:
        raise SurrogateUnavailable(
            f"a posterior needs at least {MIN_OBSERVATIONS} finite observations; "
            f"the history has {len(observations)}"
        )
    try:
        with single_threaded_blas():
            surrogate = build_surrogate(space, observations, seed % SEED_MODULUS)
            x = to_features(space, cube_of(space, points))
            mean, std = surrogate.posterior.predict(x)
    except NumericalError as error:
        raise SurrogateUnavailable(
            f"the GP could not be fitted to this history: {error}"
        ) from error
    return mean * surrogate.y_sd + surrogate.y_mean, std * surrogate.y_sd

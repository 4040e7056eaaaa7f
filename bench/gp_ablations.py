"""Variants of the gp engine, for ablation benchmarks: one improvement taken out, or one
candidate improvement put in before it may become the default.

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
from dataclasses import replace

import numpy as np
from scipy.stats import qmc

from hpo_service.domain import History, Observation, SearchSpace
from hpo_service.optimisation.encoding import snap, to_features
from hpo_service.optimisation.gp import GPStrategy
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.config import DEFAULT_XI
from hpo_service.optimisation.gp.kernel import Array, matern52, scaled_distance
from hpo_service.optimisation.gp.posterior import MIN_VARIANCE, Posterior
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.gp.strategy import MIN_OBSERVATIONS
from hpo_service.optimisation.gp.surrogate import Surrogate, build_surrogate
from hpo_service.optimisation.random_search import RandomProposer

HEDGE_ARMS = ("ei", "pi", "ucb")
HEDGE_ETA = 1.0  # Hoffman et al. 2011; scikit-optimize's gp_hedge default
HEDGE_POOL_LOG2 = 10  # 1,024 scrambled Sobol points on which past nominees are replayed


class UnwarpedGPStrategy(GPStrategy):
    """The engine without the output warp: its GP models the standardised raw values
    (docs/benchmarks/gp_suite.md, method ``engine-nowarp``)."""

    def surrogate(
        self, space: SearchSpace, observations: Sequence[Observation], seed: int
    ) -> Surrogate:
        """The GP of the observations, unwarped."""
        return build_surrogate(space, observations, seed, warp=False)


class HedgeGPStrategy(GPStrategy):
    """GP-Hedge (Hoffman, Brochu & de Freitas 2011) over EI, PI and UCB, rebuilt from the
    history on every call (method ``engine-hedge``).

    GP-Hedge keeps a gain per acquisition: at step k each acquisition nominates its maximiser
    x_i^k, one nominee is evaluated, and after the refit every gain grows by the posterior
    mean at its own nominee, g_i += mu_{k+1}(x_i^k); the next acquisition is drawn with
    probability softmax(eta g). Here the gains are not state: they are replayed from the
    history under the current fit (``replayed_gains``), so a proposal stays a function of
    (history, space, config, seed). The draw uses its own stream of the study seed.
    """

    def _single(
        self, space: SearchSpace, history: History, seed: int, fallback: RandomProposer
    ) -> GPProposer:
        """The engine's proposer with the acquisition drawn by GP-Hedge."""
        proposer = super()._single(space, history, seed, fallback)
        rng = np.random.default_rng([seed, len(history.completed), len(history.failed), 2])
        start = max(self.config.initial_design_size(space), MIN_OBSERVATIONS)
        gains = replayed_gains(space, proposer.acquisition, proposer.surrogate, start, rng)
        arm = HEDGE_ARMS[hedge_choice(gains, rng)]
        acquisition = replace(proposer.acquisition, name=arm, xi=DEFAULT_XI[arm])
        return replace(proposer, acquisition=acquisition)


def prefix_predictions(posterior: Posterior, z: Array) -> tuple[Array, Array]:
    """Posterior means and sds at rows of z after each prefix of the training rows, with the
    hyperparameters of ``posterior``: row k-1 conditions on the first k observations.

    With K + noise = L L' (L lower triangular), the factor of the first k rows is L's
    leading k x k block, so forward substitution gives every prefix at once: with
    V = L^-1 K(X, z) and v = L^-1 y, mean_k = sum_{j<k} V_j v_j and
    var_k = k(z, z) - sum_{j<k} V_j^2 (GPML Algorithm 2.1, one solve for all k).
    """
    hyper = posterior.hyper
    k = matern52(scaled_distance(z, posterior.x, hyper.lengthscales), hyper.variance)
    v = posterior.factor.forward(k.T)  # n x m
    means = np.cumsum(v * posterior.v_[:, None], axis=0)
    variances = np.maximum(hyper.variance - np.cumsum(v * v, axis=0), MIN_VARIANCE)
    return means, np.sqrt(variances)


def replayed_gains(
    space: SearchSpace,
    acquisition: Acquisition,
    surrogate: Surrogate,
    start: int,
    rng: np.random.Generator,
) -> Array:
    """GP-Hedge's gains of HEDGE_ARMS after every model step of the history.

    For each prefix of k >= ``start`` observations (a step where the model proposed), each
    acquisition's nominee is its maximiser over a Sobol pool under that prefix's posterior
    (``prefix_predictions``, current hyperparameters and output warp; the incumbent is the
    prefix's best value), and its reward is the posterior mean there after k + 1
    observations. A pool of Sobol points only: no point placed by hindsight near the
    current incumbents.
    """
    posterior = surrogate.posterior
    n = len(posterior.x)
    gains = np.zeros(len(HEDGE_ARMS))
    if n <= start:
        return gains
    cube = qmc.Sobol(d=len(space.params), scramble=True, rng=rng).random_base2(HEDGE_POOL_LOG2)
    means, stds = prefix_predictions(posterior, to_features(space, snap(space, cube)))
    bests = np.maximum.accumulate(posterior.y)
    for k in range(start, n):
        for i, arm in enumerate(HEDGE_ARMS):
            scorer = replace(acquisition, name=arm, best=float(bests[k - 1]), xi=DEFAULT_XI[arm])
            nominee = int(np.argmax(scorer.evaluate(means[k - 1], stds[k - 1])[0]))
            gains[i] += means[k, nominee]
    return gains


def hedge_probabilities(gains: Array, eta: float = HEDGE_ETA) -> Array:
    """softmax(eta * gains), computed stably."""
    logits = eta * (gains - gains.max())
    weights = np.exp(logits)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def hedge_choice(gains: Array, rng: np.random.Generator) -> int:
    """The index of the acquisition drawn with probability softmax(eta * gains)."""
    return int(rng.choice(len(gains), p=hedge_probabilities(gains)))

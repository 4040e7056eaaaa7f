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

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from unittest import mock

import numpy as np
from scipy.stats import qmc

from hpo_service.domain import History, Observation, SearchSpace
from hpo_service.optimisation.encoding import snap, to_features
from hpo_service.optimisation.gp import GPStrategy, model
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.config import DEFAULT_XI
from hpo_service.optimisation.gp.kernel import Array, matern52, scaled_distance
from hpo_service.optimisation.gp.model import JITTER
from hpo_service.optimisation.gp.optimise import Surface
from hpo_service.optimisation.gp.posterior import MIN_VARIANCE, Posterior
from hpo_service.optimisation.gp.proposer import GPProposer
from hpo_service.optimisation.gp.strategy import MIN_OBSERVATIONS
from hpo_service.optimisation.gp.surrogate import Surrogate, build_surrogate
from hpo_service.optimisation.pareto import nondominated
from hpo_service.optimisation.random_search import RandomProposer

PriorFunction = Callable[[Array, float, float], tuple[float, Array]]
ENGINE_PRIOR: PriorFunction = model.log_prior  # kept: PriorGPStrategy swaps the module's
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


class PlugInIncumbentGPStrategy(GPStrategy):
    """A candidate: the incumbent y* of EI and PI is the best posterior mean at an observed
    point (the "plug-in" criterion of Picheny et al. 2013, "A benchmark of kriging-based
    infill criteria for noisy optimization") instead of the best observed value, so a lucky
    noisy observation does not set the bar every proposal must clear (method
    ``engine-plugin``; docs/benchmarks/gp_suite.md). The posterior mean at the training
    rows is K alpha = y - (noise + jitter) alpha, as (K + (noise + jitter) I) alpha = y: this
    closed form, not ``Posterior.mean`` at the data (equal up to rounding, which the test
    checks), is what the stored runs used, and last bits change a run's trajectory. Studies
    of fewer than ``shared.SHARE_FROM`` observations, as every run of the suite."""

    def surrogate(
        self, space: SearchSpace, observations: Sequence[Observation], seed: int
    ) -> Surrogate:
        """The engine's GP with y* = the best fitted posterior mean."""
        built = super().surrogate(space, observations, seed)
        posterior = built.posterior
        fitted = posterior.y - (posterior.noises() + JITTER) * posterior.alpha
        return replace(built, best=float(fitted.max()))


class CompletedDesignGPStrategy(GPStrategy):
    """The engine, but with asynchronous workers its Sobol initial design continues until
    ``n_initial`` trials have completed. The engine counts pending trials too: with 4
    workers its model starts at ``n_initial - 3`` completed trials, 3 of them pending and
    believed (docs/benchmarks/gp_parallel.md, arm ``async4_design``). Sequential and batched
    runs are the same under both rules: their snapshots hold no pending trial."""

    def _use_model(self, space: SearchSpace, completed: int, pending: int) -> bool:
        return completed >= max(MIN_OBSERVATIONS, self.config.initial_design_size(space))


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


MACE_ARMS = ("ei", "pi", "ucb")


@dataclass(frozen=True)
class MaceProposer(GPProposer):
    """The engine's proposer whose search is MACE's (see ``MaceGPStrategy``)."""

    draw: tuple[int, ...] = ()

    def _search(self, surface: Surface, pool: Array, n_starts: int, maxiter: int) -> Array:
        """Each acquisition searches as the engine does; of all the points found, those no
        other point beats on all three acquisitions (the Pareto front) come first, in an
        order drawn from the study seed, then the rest by the first acquisition."""
        arms = [
            replace(surface, acquisition=replace(surface.acquisition, name=a, xi=DEFAULT_XI[a]))
            for a in MACE_ARMS
        ]
        found = np.vstack(
            [super(MaceProposer, self)._search(a, pool, n_starts, maxiter) for a in arms]
        )
        _, first = np.unique(found, axis=0, return_index=True)
        found = found[np.sort(first)]
        mean, std = surface.posterior.predict(surface.features(found))
        scores = np.column_stack([a.acquisition.evaluate(mean, std)[0] for a in arms])
        front = np.flatnonzero(nondominated(scores))
        front = np.random.default_rng(self.draw).permutation(front)
        by_first = np.argsort(-scores[:, 0], kind="stable")
        return found[np.concatenate([front, by_first[~np.isin(by_first, front)]])]


class MaceGPStrategy(GPStrategy):
    """MACE, the acquisition ensemble of HEBO (Cowen-Rivers et al. 2022, "HEBO: pushing the
    limits of sample-efficient hyper-parameter optimisation", JAIR 74), over the engine's EI,
    PI and UCB: each suggestion is a point of the Pareto front of the three acquisitions,
    drawn from a stream of the study seed (arm ``mace`` of bench/gp_greedy.py).
    HEBO searches the front with NSGA-II; here it is the front of the points the engine's
    own search finds for each acquisition (climbed starts and their pools)."""

    def _single(
        self, space: SearchSpace, history: History, seed: int, fallback: RandomProposer
    ) -> GPProposer:
        """The engine's proposer, searching as MACE."""
        proposer = super()._single(space, history, seed, fallback)
        draw = (seed, len(history.completed), len(history.failed), 5)
        return MaceProposer(**{**proposer.__dict__, "draw": draw})


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


class CoinGPStrategy(GPStrategy):
    """Each suggestion maximises EI or, with probability ``share``, PI with xi = 0, drawn from
    the greedy option's stream of the study seed (method ``mix50`` of bench/gp_candidates.py)."""

    share = 0.5

    def _step(self, proposer: GPProposer, history: History, seed: int) -> GPProposer:
        draw = np.random.default_rng([seed, len(history.completed), len(history.failed), 3])
        if draw.random() >= self.share:
            return proposer
        return replace(proposer, acquisition=Acquisition("pi", proposer.acquisition.best, 0.0))


def stagnating(values: Sequence[float], start: int, patience: int, exit_after: int) -> bool:
    """Whether the next step exploits, replayed from the values of the history in order.

    The model's steps begin at index ``start`` (the end of the initial design). After
    ``patience`` steps in a row without a new best value the steps exploit, until
    ``exit_after`` exploiting steps in a row bring no new best; then they explore again.
    A function of the history alone, so a proposal stays reproducible by seed.
    """
    exploiting, misses = False, 0
    best = max(values[:start], default=-math.inf)
    for value in values[start:]:
        misses = 0 if value > best else misses + 1
        best = max(best, value)
        if misses >= (exit_after if exploiting else patience):
            exploiting, misses = not exploiting, 0
    return exploiting


class StagnationGPStrategy(GPStrategy):
    """EI, switching to an exploiting acquisition while EI stagnates (``stagnating``): after
    ``patience`` model steps without a new best, ``exploit`` (PI with xi = 0, or the
    posterior mean: UCB with kappa 0) until ``exit_after`` of its steps in a row miss.
    In the spirit of TuRBO's failure counter (Eriksson et al. 2019), without a trust region."""

    patience = 5
    exit_after = 2
    exploit = Acquisition("pi", 0.0, xi=0.0)

    def _step(self, proposer: GPProposer, history: History, seed: int) -> GPProposer:
        values = [o.value for o in history.completed]
        start = self.config.initial_design_size(proposer.space)
        if not stagnating(values, start, self.patience, self.exit_after):
            return proposer
        exploit = replace(self.exploit, best=proposer.acquisition.best)
        return replace(proposer, acquisition=exploit)


class StagnationOnceGPStrategy(StagnationGPStrategy):
    """``StagnationGPStrategy`` back to EI after one exploiting step that misses."""

    exit_after = 1


class StagnationMarginGPStrategy(StagnationOnceGPStrategy):
    """``StagnationOnceGPStrategy`` exploiting with PI at its default margin, xi = 0.01."""

    exploit = Acquisition("pi", 0.0, xi=DEFAULT_XI["pi"])


class StagnationMeanGPStrategy(StagnationGPStrategy):
    """``StagnationGPStrategy`` exploiting with the posterior mean (UCB, kappa 0)."""

    exploit = Acquisition("ucb", 0.0, kappa=0.0)


class StagnationMeanOnceGPStrategy(StagnationMeanGPStrategy):
    """``StagnationMeanGPStrategy`` back to EI after one exploiting step that misses."""

    exit_after = 1


def lognormal_prior(ls: Array, var: float, noise: float) -> tuple[float, Array]:
    """Hvarfner, Hellsten & Nardi (2024, "Vanilla Bayesian optimization performs great in
    high dimensions"): log l ~ N(sqrt 2 + log(D) / 2, 3), D the number of input columns;
    signal and noise priors as the engine's (model.log_prior)."""
    mu, var_log = math.sqrt(2.0) + 0.5 * math.log(len(ls)), 3.0
    theta = np.log(ls)
    value = -float(((theta - mu) ** 2).sum()) / (2.0 * var_log)
    grad_ls = -(theta - mu) / var_log
    return _with_engine_rest(value, grad_ls, var, noise)


def scaled_prior(ls: Array, var: float, noise: float) -> tuple[float, Array]:
    """The engine's -0.1 (u^2 + 1/u^2) on u = l / sqrt(D / 2): its mode moves from 1 to
    sqrt(D / 2), the same at D = 2."""
    u = ls / math.sqrt(len(ls) / 2.0)
    value = -0.1 * float((u**2).sum()) - 0.1 * float((1.0 / u**2).sum())
    return _with_engine_rest(value, -0.2 * u**2 + 0.2 / u**2, var, noise)


def long_prior(ls: Array, var: float, noise: float) -> tuple[float, Array]:
    """Only the long-scale term scaled: -0.1 ((l / sqrt(D / 2))^2 + 1/l^2), so long length
    scales cost less in high dimensions and short ones as much as in the engine."""
    u = ls / math.sqrt(len(ls) / 2.0)
    value = -0.1 * float((u**2).sum()) - 0.1 * float((1.0 / ls**2).sum())
    return _with_engine_rest(value, -0.2 * u**2 + 0.2 / ls**2, var, noise)


def _with_engine_rest(
    value: float, grad_ls: Array, var: float, noise: float
) -> tuple[float, Array]:
    """A length-scale prior's value and gradient completed with the engine's priors of the
    signal and noise variances (model.log_prior without length scales)."""
    rest, rest_grad = ENGINE_PRIOR(np.empty(0), var, noise)
    return value + rest, np.concatenate([grad_ls, rest_grad])


class PriorGPStrategy(GPStrategy):
    """The engine with another length-scale prior (``prior``) and the upper bound of the
    length scales raised to 1,000, so that priors whose mode grows with the dimension are
    not cut at the engine's 20. The fit reads both from gp/model.py's module globals; they
    are swapped only while this strategy builds its surrogate (benchmarks are sequential:
    not thread-safe). The fit cache is keyed by the data, not the prior: ``engine_runner``
    clears it before every run, so a run never reuses a fit made under another prior."""

    prior: PriorFunction = staticmethod(ENGINE_PRIOR)

    def surrogate(
        self, space: SearchSpace, observations: Sequence[Observation], seed: int
    ) -> Surrogate:
        """The GP of the observations, fitted under ``prior``."""
        with _patched_prior(self.prior):
            return super().surrogate(space, observations, seed)


class LogNormalPriorGPStrategy(PriorGPStrategy):
    """``PriorGPStrategy`` with ``lognormal_prior``."""

    prior = staticmethod(lognormal_prior)


class ScaledPriorGPStrategy(PriorGPStrategy):
    """``PriorGPStrategy`` with ``scaled_prior``."""

    prior = staticmethod(scaled_prior)


class LongPriorGPStrategy(PriorGPStrategy):
    """``PriorGPStrategy`` with ``long_prior``."""

    prior = staticmethod(long_prior)


@contextmanager
def _patched_prior(prior: PriorFunction) -> Iterator[None]:
    low, _ = model.LENGTHSCALE_BOUNDS
    with (
        mock.patch.object(model, "log_prior", prior),
        mock.patch.object(model, "LENGTHSCALE_BOUNDS", (low, 1e3)),
    ):
        yield

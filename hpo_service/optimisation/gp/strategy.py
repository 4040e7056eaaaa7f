"""Stage one of a gp suggestion (outside any lock): fit the GP to a history snapshot.

The method, module by module:

1. Initial design: scrambled Sobol points (random_search) until ``n_initial`` trials.
2. Surrogate (surrogate, model, kernel, posterior): inputs in the unit cube (log-scaled
   parameters in log space, categoricals one-hot), outputs Yeo-Johnson-warped and
   standardised (Yeo & Johnson 2000, as in HEBO); a GP with an ARD Matern 5/2 kernel and a
   Gaussian noise term, hyperparameters by MAP-II (log marginal likelihood, GPML eq. 5.8,
   plus weak priors as in Optuna's GPSampler), warm-started from a history prefix.
3. Acquisition (acquisition, optimise): log EI (Ament et al. 2023), UCB or log PI, ranked
   over a Sobol pool plus perturbations of the incumbents, the best starts climbed by
   L-BFGS-B on the plain acquisition, then a neighbourhood search of discrete coordinates.
4. Pending trials (proposer): kriging believer (Ginsbourger et al. 2010), the believed
   values taken as the latent function, the believed incumbent raised accordingly.
5. Several objectives or constraints (outcomes, outcome_proposer): log EHVI x probability
   of feasibility over independent GPs; big histories (shared): a base model per checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hpo_service.domain import History, Observation, SearchSpace
from hpo_service.errors import HpoError
from hpo_service.optimisation.base import Proposer
from hpo_service.optimisation.gp import config as gp_config
from hpo_service.optimisation.gp import shared
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.config import GPConfig
from hpo_service.optimisation.gp.memo import content_digests
from hpo_service.optimisation.gp.model import NumericalError
from hpo_service.optimisation.gp.outcome_proposer import OutcomeProposer, build_outcome_proposer
from hpo_service.optimisation.gp.proposer import GPProposer, candidate_pool
from hpo_service.optimisation.gp.surrogate import Surrogate, build_surrogate, cube_of, finite
from hpo_service.optimisation.gp.threads import single_threaded_blas
from hpo_service.optimisation.random_search import RandomProposer, RandomStrategy

logger = logging.getLogger(__name__)
MIN_OBSERVATIONS = 2
SEED_MODULUS = 2**63  # numpy seed sequences take non-negative integers
INCUMBENTS = 8
# A big study with this many pending trials in its snapshot is busy: some other worker's
# suggestion almost always lands between the snapshot and the lock, so it does not search
# outside the lock at all (GPProposer.with_belief_only: the shortlist search under the lock)
BUSY_PENDING = 8


@dataclass(frozen=True)
class GPStrategy:
    """Gaussian-process Bayesian optimisation with EI, UCB or PI."""

    config: GPConfig

    def prepare(self, space: SearchSpace, history: History, seed: int) -> Proposer:
        """Fit the GP on the snapshot and pre-compute the proposal for its pending set."""
        seed = (self.config.seed if self.config.seed is not None else seed) % SEED_MODULUS
        fallback = RandomStrategy().prepare(space, history, seed)
        observations = finite(history.completed)
        if len(observations) < len(history.completed):
            logger.warning(
                "gp: ignored %d non-finite observations", len(history.completed) - len(observations)
            )
        if not self._use_model(space, len(observations), len(history.pending)):
            return fallback  # the initial design: scrambled Sobol points (random search)
        try:
            with single_threaded_blas():
                if len(observations) >= shared.SHARE_FROM and not several_outcomes(observations):
                    return self._shared(space, history, observations, seed, fallback)
                proposer = self._proposer(space, history, seed, fallback)
                return proposer.with_prepared(history.pending)
        except HpoError:
            raise
        except Exception:
            logger.exception("gp model failed; falling back to random search")
            return fallback

    def _use_model(self, space: SearchSpace, completed: int, pending: int) -> bool:
        initial = self.config.initial_design_size(space)
        return completed >= MIN_OBSERVATIONS and completed + pending >= initial

    def _shared(
        self,
        space: SearchSpace,
        history: History,
        observations: list[Observation],
        seed: int,
        fallback: RandomProposer,
    ) -> GPProposer:
        """Large histories: a checkpoint's shared base model, conditioned on the rest."""
        used, newest = shared.base_sizes(len(observations))
        key = repr((type(self).__qualname__, space, self.config, seed))
        names = content_digests(observations, key, (used, newest))

        def builder(cut: int) -> Callable[[], GPProposer]:
            prefix = History(completed=tuple(observations[:cut]))

            def build() -> GPProposer:
                base_fallback = RandomStrategy().prepare(space, prefix, seed)
                single = self._single(space, prefix, seed, base_fallback)
                return replace(single, remember=True).with_prepared(())

            return build

        # ready when the history reaches the next checkpoint
        shared.prefetch(names[1], builder(newest), space, observations[newest:])
        try:
            base = shared.base_model(names[0], builder(used))
            proposer = shared.extended(base, space, observations[used:], names[0])
        except NumericalError:  # e.g. an extra point the base cannot absorb: refit as usual
            proposer = self._single(space, history, seed, fallback)
            return self._step(proposer, history, seed).with_prepared(history.pending)
        proposer = self._step(
            replace(proposer, taken=fallback.taken, fallback=fallback), history, seed
        )
        if len(history.pending) >= BUSY_PENDING:
            return proposer.with_belief_only(history.pending)
        return proposer.with_quick_prepared(history.pending)

    def _step(self, proposer: GPProposer, history: History, seed: int) -> GPProposer:
        """The proposer of this suggestion: with probability ``greedy`` (config) one that
        maximises the posterior mean (UCB with kappa 0) instead of the acquisition, the
        epsilon-greedy step of De Ath, Everson, Rahat & Fieldsend (2021, "Greed is good:
        exploration and exploitation trade-offs in Bayesian optimisation", ACM TELO 1(1)).
        Off by default: it helps where few of many coordinates matter (EI keeps exploring
        the others) and costs in a mixed space, likely (not verified) because the mean never
        leaves the category it believes in (docs/benchmarks/gp_greedy.md). The draw is a
        function of the seed and the history's size, so the same history and seed give the
        same proposal."""
        if not self.config.greedy:
            return proposer
        draw = np.random.default_rng([seed, len(history.completed), len(history.failed), 3])
        if draw.random() >= self.config.greedy:
            return proposer
        mean = Acquisition("ucb", proposer.acquisition.best, kappa=0.0)
        return replace(proposer, acquisition=mean)

    def _proposer(
        self, space: SearchSpace, history: History, seed: int, fallback: RandomProposer
    ) -> GPProposer | OutcomeProposer:
        observations = finite(history.completed)
        if several_outcomes(observations):
            rng = np.random.default_rng([seed, len(history.completed), len(history.failed), 1])
            reference = history.reference_point
            return build_outcome_proposer(space, observations, reference, seed, rng, fallback)
        return self._step(self._single(space, history, seed, fallback), history, seed)

    def _single(
        self, space: SearchSpace, history: History, seed: int, fallback: RandomProposer
    ) -> GPProposer:
        """One objective, no constraints: EI, UCB or PI of one GP."""
        observations = finite(history.completed)
        surrogate = self.surrogate(space, observations, seed)
        rng = np.random.default_rng([seed, len(history.completed), len(history.failed), 1])
        values = np.array([o.value for o in observations])
        best = np.argsort(-values, kind="stable")[:INCUMBENTS]
        incumbents = cube_of(space, [observations[i].params for i in best])
        pool = candidate_pool(space, surrogate, incumbents, rng)
        acquisition = Acquisition(
            self.config.acquisition, surrogate.best, self.config.xi, self.config.kappa
        )
        return GPProposer(space, surrogate, acquisition, pool, fallback.taken, fallback)

    def surrogate(
        self, space: SearchSpace, observations: Sequence[Observation], seed: int
    ) -> Surrogate:
        """The GP of one objective's finite observations, on Yeo-Johnson-warped outputs
        (``surrogate.OutputWarp``); benchmark ablations override it (bench/gp_ablations.py)."""
        return build_surrogate(space, observations, seed, warp=True)


def several_outcomes(observations: Sequence[Observation]) -> bool:
    """Whether the observations carry several objectives or constraint slacks."""
    return any(len(o.objectives) > 1 or o.slacks for o in observations)


class GPFactory:
    """Validates ``{"name": "gp", "acquisition": "ei" | "ucb" | "pi", ...}`` configurations."""

    def normalise(self, config: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
        """Check the options and fill in documented defaults (see gp/config.py)."""
        return gp_config.normalise(config, space)

    def build(self, config: Mapping[str, Any]) -> GPStrategy:
        """Build the strategy from a normalised configuration."""
        return GPStrategy(GPConfig.from_mapping(config))

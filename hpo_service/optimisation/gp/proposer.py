"""Stage two of a gp suggestion: condition on pending trials and maximise the acquisition.

Pending configurations (and earlier proposals of the same call) are handled by the
"kriging believer" heuristic (Ginsbourger et al. 2010): each is added to the GP as if it
had been observed at its posterior mean, as the latent function (the variance there drops
to zero, not to the noise), and the incumbent y* becomes the best of the observed and the
believed values. The mean surface is unchanged, but the variance around pending points
collapses, so EI, PI and UCB move away from them; this works for mixed spaces because
conditioning happens in feature space. Only the most recent ``MAX_BELIEVED`` (64) pending
points are believed, which bounds the cost per request when a
large fleet holds hundreds of trials; older ones are still never proposed again. The
proposal for the pending set seen when the snapshot was taken is computed during
``prepare`` (outside the lock), so the common case under the lock is a set comparison.
The belief in that pending set is kept (``Belief``): when more trials became pending
before the lock, only those are conditioned on under it (block conditioning) and the
shortlist is searched again. A busy big study skips the outside search, which another
worker's suggestion almost always makes moot, and always makes the shortlist search under
the lock (``with_belief_only``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Self, cast

import numpy as np
from scipy.stats import qmc

from hpo_service.domain import Params, SearchSpace
from hpo_service.errors import HpoError
from hpo_service.optimisation.encoding import decode, snap, to_features
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.kernel import Array
from hpo_service.optimisation.gp.optimise import Surface, maximise
from hpo_service.optimisation.gp.posterior import Posterior
from hpo_service.optimisation.gp.surrogate import Surrogate, cube_of
from hpo_service.optimisation.gp.threads import single_threaded_blas
from hpo_service.optimisation.random_search import RandomProposer

logger = logging.getLogger(__name__)
# The acquisition search (optimise.maximise): a pool of POOL_SIZE scrambled Sobol points
# (fewer on long histories) and PERTURBATIONS Gaussian perturbations of the best observations;
# the best N_STARTS climb for up to LOCAL_MAXITER L-BFGS-B iterations. Under the lock, new
# pending trials are handled by rescoring a SHORTLIST_SIZE shortlist from LOCK_STARTS starts.
N_STARTS = 6
POOL_SIZE = 1024
LOCAL_MAXITER = 100
PERTURBATIONS = 128
SHORTLIST_SIZE = 64
LOCK_STARTS = 2
MAX_BELIEVED = 64  # kriging believer: the most recent pending points only


class PreparedProposals:
    """The protocol both GP proposers share (one objective, or several outcomes).

    ``with_prepared`` computes, outside any lock, the proposal for the pending set seen in
    the snapshot; under the lock, ``propose`` hands it out when the pending set is still the
    same, and otherwise (or for more than one proposal) asks ``candidates`` again with the
    newer pending trials believed. A failure of the model falls back to random search.
    """

    space: SearchSpace
    taken: frozenset[tuple[Any, ...]]
    fallback: RandomProposer
    prepared_for: frozenset[tuple[Any, ...]]
    prepared: Params | None
    label: ClassVar[str] = "gp"

    def candidates(self, pending: list[Params], under_lock: bool) -> Array:
        """Unit-cube candidates, best first, with ``pending`` believed."""
        raise NotImplementedError

    def propose(self, pending: Sequence[Params], count: int) -> list[Params]:
        """Return ``count`` distinct configurations, none pending or already tried."""
        try:
            with single_threaded_blas():
                return self._propose(list(pending), count)
        except HpoError:
            raise
        except Exception:
            logger.exception("%s proposal failed; falling back to random search", self.label)
            return self.fallback.propose(pending, count)

    def _prepared_for(self, pending: list[Params]) -> Params | None:
        """The prepared proposal, if it was prepared for this very pending set."""
        if self.prepared_for != frozenset(self._keys(pending)):
            return None
        return self.prepared

    def _keys(self, configs: Sequence[Params]) -> set[tuple[Any, ...]]:
        return {self.space.key(p) for p in configs}

    def _prepared_copy(self, pending: Sequence[Params], candidates: Array, **changes: Any) -> Self:
        """A copy holding the first free candidate as the proposal for ``pending``."""
        taken = set(self.taken) | self._keys(pending)
        copy: Self = replace(
            cast(Any, self),
            prepared_for=frozenset(self._keys(pending)),
            prepared=_first_free(self.space, candidates, taken),
            **changes,
        )
        return copy

    def _propose(self, pending: list[Params], count: int) -> list[Params]:
        taken = set(self.taken) | self._keys(pending)
        out: list[Params] = []
        first = self._prepared_for(pending)
        if first is not None:
            out.append(first)
            taken.add(self.space.key(first))
        while len(out) < count:
            candidates = self.candidates(pending + out, under_lock=True)
            proposal = _first_free(self.space, candidates, taken)
            if proposal is None:
                return out + self.fallback.propose(pending + out, count - len(out))
            out.append(proposal)
            taken.add(self.space.key(proposal))
        return out


@dataclass(frozen=True)
class Belief:
    """Pending configurations (by key, in order) believed by ``posterior`` (the proposer's
    surrogate posterior conditioned on them); ``best`` is the incumbent after believing them."""

    keys: tuple[tuple[Any, ...], ...]
    posterior: Posterior
    best: float


@dataclass(frozen=True)
class GPProposer(PreparedProposals):
    """Proposes by maximising the acquisition of a fitted GP, conditioned on pending trials."""

    space: SearchSpace
    surrogate: Surrogate
    acquisition: Acquisition
    pool: Array
    taken: frozenset[tuple[Any, ...]]
    fallback: RandomProposer
    prepared_for: frozenset[tuple[Any, ...]] = frozenset()
    prepared: Params | None = None
    shortlist: Array = field(default_factory=lambda: np.empty((0, 0)))
    belief: Belief | None = None
    # a shared base model's proposer: every request extends the same leading factor, so the
    # solves of the shortlist and of pending trials against it are kept (Posterior.kept_solve)
    remember: bool = False

    def with_prepared(self, pending: Sequence[Params]) -> GPProposer:
        """A copy that has already computed the proposal for ``pending`` (run outside locks).

        It also keeps a shortlist of good, diverse candidates, so that conditioning on
        pending trials that arrive later only rescores the shortlist under the lock, and
        the belief in ``pending``, so that only the newer pending trials are believed then.
        """
        believing = self.believing(pending)
        candidates = believing.candidates(list(pending), under_lock=False)
        shortlist = _shortlist(candidates, SHORTLIST_SIZE)
        return believing._prepared_copy(pending, candidates, shortlist=shortlist)

    def with_quick_prepared(self, pending: Sequence[Params]) -> GPProposer:
        """Like ``with_prepared``, but climbing from the existing shortlist instead of the
        whole pool (a shared base model's shortlist, see gp/shared.py); keeps the shortlist."""
        believing = self.believing(pending)
        surface = believing._surface(list(pending))
        candidates = self._search(surface, self.shortlist, N_STARTS, min(LOCAL_MAXITER, 50))
        return believing._prepared_copy(pending, candidates)

    def with_belief_only(self, pending: Sequence[Params]) -> GPProposer:
        """A copy holding the belief in ``pending`` (computed now, outside the lock) and no
        proposal: a busy study's pending set almost always changes before the lock, so
        every proposal comes from the shortlist search under the lock (``candidates``).

        Where the pending set did not change after all, that search reaches the acquisition
        value of the wider climb ``with_quick_prepared`` makes (6 starts, 50 iterations) in
        229 of 240 busy instances (10% lower at worst), in about half the time
        (bench/gp_lock_search.py); the lock is what a busy study's throughput waits for.
        """
        believing = self.believing(pending)
        return replace(believing, prepared_for=frozenset(self._keys(pending)), prepared=None)

    def believing(self, pending: Sequence[Params]) -> GPProposer:
        """A copy holding the posterior that believes ``pending`` (``Belief``)."""
        window = list(pending)[-MAX_BELIEVED:]
        if not window:
            return self
        posterior, best = self._believe(window)
        keys = tuple(self.space.key(p) for p in window)
        return replace(self, belief=Belief(keys, posterior, best))

    def candidates(self, pending: list[Params], under_lock: bool) -> Array:
        """Believe ``pending``; under the lock search the shortlist (cheap) when there is
        one, else the whole pool."""
        surface = self._surface(pending)
        if under_lock and len(self.shortlist):
            return self._search(surface, self.shortlist, LOCK_STARTS, min(LOCAL_MAXITER, 25))
        return self._search(surface, self.pool, N_STARTS, LOCAL_MAXITER)

    def _surface(self, pending: list[Params]) -> Surface:
        """The acquisition surface after believing ``pending`` (kriging believer)."""
        # Believing p points costs O(n^2 p + p^3) per request: a fleet of a thousand workers
        # would pay seconds. The most recent ``MAX_BELIEVED`` spread the proposals; older
        # pending configurations are still never proposed again (``taken``).
        window = pending[-MAX_BELIEVED:]
        if not window:
            return Surface(self.space, self.surrogate.posterior, self.acquisition)
        posterior, best = self._believe(window)
        return Surface(self.space, posterior, replace(self.acquisition, best=best))

    def _believe(self, window: list[Params]) -> tuple[Posterior, float]:
        """The posterior believing every configuration of ``window`` and the incumbent then.

        Each is believed at the posterior mean of the model before any belief, as the
        latent function: the variance at a pending point drops to zero (as a noisy
        observation it would only drop to the noise, and batch proposals landed on top of
        each other; docs/benchmarks/gp.md). Believing the fantasies includes believing a
        new incumbent, else EI stays positive right next to a pending point predicted above
        the best observation. When the window extends the held ``belief`` (the pending set
        of the snapshot, believed outside the lock), only the newer points are conditioned
        on: block conditioning gives the same posterior as believing all at once.
        """
        posterior, best, done = self.surrogate.posterior, self.acquisition.best, 0
        belief, keys = self.belief, tuple(self.space.key(p) for p in window)
        if belief is not None and keys[: len(belief.keys)] == belief.keys:
            posterior, best, done = belief.posterior, belief.best, len(belief.keys)
        rest = window[done:]
        if rest:
            features = to_features(self.space, cube_of(self.space, rest))
            believed, _ = self.surrogate.posterior.predict(features, self.remember)
            posterior = posterior.condition(features, believed, False, self.remember)
            best = max(best, float(believed.max()))
        return posterior, best

    def _search(self, surface: Surface, pool: Array, n_starts: int, maxiter: int) -> Array:
        """Maximise the acquisition from ``pool``; the scores of a shared base model's
        shortlist, which every request on that base scores, keep their solves (``remember``)."""
        # the climb polishes plain EI / PI: far starts have ~0 gradient there, so one batched
        # L-BFGS-B run is not steered by them (their log-EI gradients are huge)
        polish = replace(surface, acquisition=replace(surface.acquisition, log=False))
        remember = self.remember and pool is self.shortlist
        candidates, _ = maximise(
            surface, pool, n_starts, maxiter, polish=polish, remember_pool=remember
        )
        return candidates


def _first_free(
    space: SearchSpace, candidates: Array, taken: set[tuple[Any, ...]]
) -> Params | None:
    """The best candidate whose configuration is not taken."""
    for row in candidates:
        params = decode(space, row)
        if space.key(params) not in taken:
            return params
    return None


def _shortlist(candidates: Array, size: int) -> Array:
    """The best half of ``size`` candidates plus evenly spaced ranks of the rest (diversity)."""
    top = candidates[: size // 2]
    rest = candidates[size // 2 :]
    if not len(rest):
        return top
    picks = np.linspace(0, len(rest) - 1, num=min(size - len(top), len(rest))).astype(np.intp)
    return np.vstack([top, rest[picks]])


def candidate_pool(
    space: SearchSpace,
    surrogate: Surrogate,
    incumbents: Array,
    rng: np.random.Generator,
) -> Array:
    """Scrambled Sobol points plus Gaussian perturbations of the best observed points."""
    n = len(surrogate.posterior.x)
    # fewer pool points for large n, where each prediction costs O(n^2); a power of two
    # keeps the Sobol sample balanced
    size = int(np.clip(POOL_SIZE * 256 / max(n, 256), 256, POOL_SIZE))
    sampler = qmc.Sobol(d=len(space.params), scramble=True, rng=rng)
    sobol = sampler.random_base2(int(np.log2(size)))
    if not len(incumbents):
        return _distinct(space, snap(space, sobol))
    picks = incumbents[rng.integers(len(incumbents), size=PERTURBATIONS)]
    widths = rng.choice([0.01, 0.05, 0.2], size=(PERTURBATIONS, 1))
    local = np.clip(picks + widths * rng.standard_normal(picks.shape), 0.0, 1.0)
    # discrete coordinates: re-draw each with probability 1 / dimension
    redraw = rng.random(local.shape) < 1.0 / len(space.params)
    local = np.where(redraw, rng.random(local.shape), local)
    return _distinct(space, snap(space, np.vstack([sobol, local])))


def _distinct(space: SearchSpace, points: Array) -> Array:
    """In a conditional space, the snapped rows without repeats, in first-seen order.

    Snapped rows are equal exactly when they decode to the same configuration (inactive
    coordinates hold one constant), so this dedups the pool by configuration key: many
    Sobol points collapse onto one configuration when a branch has few active coordinates.
    """
    if not space.conditional:
        return points
    _, first = np.unique(points, axis=0, return_index=True)
    return points[np.sort(first)]

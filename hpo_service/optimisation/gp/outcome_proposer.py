"""Stage two for several objectives or constraints: condition on pending, maximise EHVI x PoF.

The analogue of ``proposer.GPProposer`` (see ``outcomes`` for the acquisition): the first
proposal for the snapshot's pending set is computed in ``prepare``, outside the lock;
proposals for pending trials that arrived since are recomputed on a shortlist of good,
diverse candidates under the lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from hpo_service.domain import Observation, Params, SearchSpace
from hpo_service.optimisation.encoding import to_features
from hpo_service.optimisation.gp.kernel import Array
from hpo_service.optimisation.gp.optimise import maximise
from hpo_service.optimisation.gp.outcomes import OutcomeModels, OutcomeSurface
from hpo_service.optimisation.gp.proposer import (
    LOCAL_MAXITER,
    LOCK_STARTS,
    N_STARTS,
    SHORTLIST_SIZE,
    PreparedProposals,
    _shortlist,
    candidate_pool,
)
from hpo_service.optimisation.gp.surrogate import build_surrogate, cube_of
from hpo_service.optimisation.pareto import acquisition_reference, boxes, nondominated
from hpo_service.optimisation.random_search import RandomProposer

INCUMBENTS = 8


@dataclass(frozen=True)
class OutcomeProposer(PreparedProposals):
    """Proposes by maximising log EHVI + log PoF of independent GPs, believing pending."""

    space: SearchSpace
    models: OutcomeModels
    feasible: Array  # maximised objective values of the feasible observations (n_f x m)
    reference: Array  # maximised: the declared one, else ``acquisition_reference``
    pool: Array
    taken: frozenset[tuple[Any, ...]]
    fallback: RandomProposer
    prepared_for: frozenset[tuple[Any, ...]] = frozenset()
    prepared: Params | None = None
    shortlist: Array = field(default_factory=lambda: np.empty((0, 0)))
    label: ClassVar[str] = "gp (several outcomes)"

    def with_prepared(self, pending: Sequence[Params]) -> OutcomeProposer:
        """A copy holding the proposal for ``pending`` and a shortlist (run outside locks)."""
        candidates = self.candidates(list(pending), under_lock=False)
        return self._prepared_copy(
            pending, candidates, shortlist=_shortlist(candidates, SHORTLIST_SIZE)
        )

    def candidates(self, pending: list[Params], under_lock: bool) -> Array:
        """Believe ``pending``; under the lock climb from the shortlist when there is one."""
        quick = under_lock and len(self.shortlist) > 0
        pool = self.shortlist if quick else self.pool
        starts = LOCK_STARTS if quick else N_STARTS
        candidates, _ = maximise(self.surface(pending), pool, starts, LOCAL_MAXITER, batched=False)
        return candidates

    def surface(self, pending: Sequence[Params]) -> OutcomeSurface:
        """The acquisition after each GP believes its mean at ``pending`` (kriging believer);
        pending points predicted feasible join the front."""
        objectives = [s.posterior for s in self.models.objectives]
        slacks = [s.posterior for s in self.models.slacks]
        thresholds = self.models.thresholds()
        front = self.models.standardised(self.feasible) if len(self.feasible) else None
        if pending:
            x = to_features(self.space, cube_of(self.space, list(pending)))
            believed_obj = [p.predict(x)[0] for p in objectives]
            believed_slack = [p.predict(x)[0] for p in slacks]
            objectives = [p.condition(x, b) for p, b in zip(objectives, believed_obj, strict=True)]
            slacks = [p.condition(x, b) for p, b in zip(slacks, believed_slack, strict=True)]
            ok = np.ones(len(x), dtype=bool)
            for b, t in zip(believed_slack, thresholds, strict=True):
                ok &= b <= t
            if front is not None and ok.any():
                front = np.vstack([front, np.column_stack(believed_obj)[ok]])
        lower = upper = None
        if front is not None:
            lower, upper = boxes(front, self.models.standardised(self.reference[None, :])[0])
        return OutcomeSurface(
            self.space, tuple(objectives), tuple(slacks), thresholds, lower, upper
        )


def build_outcome_proposer(
    space: SearchSpace,
    observations: Sequence[Observation],
    reference: Sequence[float] | None,
    seed: int,
    rng: np.random.Generator,
    fallback: RandomProposer,
) -> OutcomeProposer:
    """Fit one GP per objective and per slack, and the candidate pool around the front."""
    m = len(observations[0].objectives)
    n_slacks = len(observations[0].slacks)
    objectives = tuple(
        build_surrogate(space, [_single(o, o.objectives[i]) for o in observations], seed)
        for i in range(m)
    )
    slacks = tuple(
        build_surrogate(space, [_single(o, o.slacks[j]) for o in observations], seed)
        for j in range(n_slacks)
    )
    models = OutcomeModels(objectives, slacks)
    feasible = [o for o in observations if o.feasible]
    values = np.array([o.objectives for o in feasible], dtype=np.float64).reshape(-1, m)
    observed = np.array([o.objectives for o in observations], dtype=np.float64).reshape(-1, m)
    incumbents = _incumbents(space, observations, feasible, values)
    pool = candidate_pool(space, objectives[0], incumbents, rng)
    # resolved once per fit, not per acquisition surface (surfaces are rebuilt under the
    # lock for every pending trial): the declared point, else one between the feasible front
    # and the worst observation, feasible or not (derived from the feasible ones alone it
    # would sit just below them while few are known, and no point beyond that corner of
    # the front would earn any improvement)
    if reference is None:
        payoff = _payoff(space, models, pool) if len(values) else None
        ref = acquisition_reference(values, observed, payoff)
    else:
        ref = np.asarray(reference, dtype=np.float64)
    return OutcomeProposer(space, models, values, ref, pool, fallback.taken, fallback)


def _payoff(space: SearchSpace, models: OutcomeModels, pool: Array) -> Array:
    """The payoff table (m x m, maximised objective units): row i holds every objective's
    posterior mean at the pool point with the best mean of objective i, among the points
    predicted feasible (all of them when none is)."""
    x = to_features(space, pool)
    means = np.column_stack([s.posterior.mean(x) * s.y_sd + s.y_mean for s in models.objectives])
    ok = np.ones(len(pool), dtype=bool)
    for slack, threshold in zip(models.slacks, models.thresholds(), strict=True):
        ok &= slack.posterior.mean(x) <= threshold
    if ok.any():
        means = means[ok]
    return np.asarray(means[np.argmax(means, axis=0)], dtype=np.float64)


def spread(points: Array, k: int) -> list[int]:
    """Up to ``k`` rows of ``points`` (n x m) spread over them: each column's best first,
    then greedily the row farthest from every row chosen (max-min distance in units of each
    column's range; Gonzalez 1985), ties to the earlier row."""
    low, high = points.min(axis=0), points.max(axis=0)
    unit = (points - low) / np.where(high > low, high - low, 1.0)
    chosen: list[int] = []
    for i in np.argmax(points, axis=0):
        if int(i) not in chosen and len(chosen) < k:
            chosen.append(int(i))
    distance = np.min(np.linalg.norm(unit[:, None, :] - unit[chosen][None], axis=2), axis=1)
    distance[chosen] = -1.0
    while len(chosen) < k and distance.max() > 0.0:
        i = int(np.argmax(distance))
        chosen.append(i)
        distance = np.minimum(distance, np.linalg.norm(unit - unit[i], axis=1))
        distance[chosen] = -1.0
    return chosen


def _single(observation: Observation, value: float) -> Observation:
    return Observation(observation.params, value)


def _incumbents(
    space: SearchSpace,
    observations: Sequence[Observation],
    feasible: Sequence[Observation],
    values: Array,
) -> Array:
    """Feasible front points (else the least-violating observations) to perturb: the best
    point of each objective, then the points farthest from those already chosen."""
    if len(feasible):
        index = np.flatnonzero(nondominated(values))
        chosen = spread(values[index], INCUMBENTS)
        return cube_of(space, [feasible[int(index[i])].params for i in chosen])
    violation = np.array([sum(max(g, 0.0) for g in o.slacks) for o in observations])
    order = np.argsort(violation, kind="stable")[:INCUMBENTS]
    return cube_of(space, [observations[int(i)].params for i in order])

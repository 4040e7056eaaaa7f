"""Acquisition maximisation over the unit cube of a (possibly mixed) search space.

A pool of scrambled Sobol points and perturbations of the best observations is scored in
one batch (log EI / log PI, which never underflow); the best ``n_starts`` (proposer.N_STARTS)
seed a multi-start L-BFGS-B over the continuous (float) coordinates with analytic gradients,
run as one batched problem (the objective is a sum over independent starts, so its gradient
separates) on the plain acquisition, where a start far from the incumbent has a near-zero
gradient and cannot steer the others (in log space it would: measured in
docs/benchmarks/gp.md); integer and categorical coordinates are then improved by a greedy
neighbourhood search (integers +-1, every other category).
On a big history (posterior.LOCAL_FROM observations and more) each start climbs, alone, the
posterior of its own neighbourhood (``near``: a local approximate GP), so a climb step no
longer solves against the full Cholesky factor; the climbed points are then ranked with the
full posterior like every other candidate.
Points are always snapped (encoding.snap), so the GP scores exactly what is proposed; in a
conditional space snapping also sets inactive coordinates to their constant, the gradient
of an inactive float coordinate is zero, and the discrete search only moves active
coordinates (moving a parent switches its children on or off).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from hpo_service.domain import CategoricalParam, FloatParam, IntParam, SearchSpace
from hpo_service.optimisation.encoding import (
    active_mask,
    decode_value,
    encode_value,
    numeric_feature_columns,
    snap,
    to_features,
)
from hpo_service.optimisation.gp.acquisition import Acquisition
from hpo_service.optimisation.gp.kernel import Array
from hpo_service.optimisation.gp.posterior import Posterior

MAX_DISCRETE_ROUNDS = 5


@dataclass(frozen=True)
class Surface:
    """The acquisition as a function of unit-cube points."""

    space: SearchSpace
    posterior: Posterior
    acquisition: Acquisition

    def features(self, cube: Array) -> Array:
        """Model inputs of snapped unit-cube points."""
        return to_features(self.space, cube)

    def score(self, cube: Array, remember: bool = False) -> Array:
        """Acquisition values (log for EI/PI) of snapped unit-cube points (``remember``:
        points scored again by later requests, see ``Posterior.predict``)."""
        mean, std = self.posterior.predict(self.features(cube), remember)
        return self.acquisition.evaluate(mean, std)[0]

    def near(self, point: Array) -> Surface:
        """This surface with the posterior of the neighbourhood of ``point`` (a cube row)
        on a big history, else itself (``Posterior.near``)."""
        if not self.posterior.big:
            return self
        return replace(self, posterior=self.posterior.near(self.features(point[None, :])))

    def score_with_gradient(self, cube: Array, cols: NDArray[np.intp]) -> tuple[Array, Array]:
        """Values and gradients in the float coordinates ``cols`` of the cube."""
        mapping = numeric_feature_columns(self.space)
        feature_cols = np.array([mapping[int(c)] for c in cols], dtype=np.intp)
        active = active_mask(self.space, cube)
        features = to_features(self.space, cube, active)
        mean, std, d_mean, d_std = self.posterior.predict_with_gradient(features, feature_cols)
        value, da_dm, da_ds = self.acquisition.evaluate(mean, std)
        grad = da_dm[:, None] * d_mean + da_ds[:, None] * d_std
        # an inactive coordinate does not move the features (all ones without conditions)
        return value, grad * active[:, cols]


class Scored(Protocol):
    """What the maximiser needs of an acquisition surface (Surface, OutcomeSurface)."""

    @property
    def space(self) -> SearchSpace:
        """The search space whose unit cube is searched."""
        ...

    def score(self, cube: Array, remember: bool = False) -> Array:
        """Acquisition values of snapped unit-cube points (``remember``: the same points
        are scored again by later requests, so the surface may keep work for them)."""
        ...

    def score_with_gradient(self, cube: Array, cols: NDArray[np.intp]) -> tuple[Array, Array]:
        """Values and gradients in the float coordinates ``cols``."""
        ...

    def near(self, point: Array) -> Scored:
        """The surface to search locally around ``point``: itself, or on a big history the
        same acquisition over a local posterior of the neighbourhood."""
        ...


def float_columns(space: SearchSpace) -> NDArray[np.intp]:
    """Cube columns of float parameters (the ones L-BFGS-B moves)."""
    cols = [j for j, p in enumerate(space.params) if isinstance(p, FloatParam)]
    return np.array(cols, dtype=np.intp)


def maximise(
    surface: Scored,
    pool: Array,
    n_starts: int,
    maxiter: int,
    batched: bool = True,
    polish: Scored | None = None,
    remember_pool: bool = False,
) -> tuple[Array, Array]:
    """Candidates (rows, snapped) and their scores, best first, after local optimisation.

    ``polish`` (default: ``surface``) is the surface the continuous local search climbs; it
    must rank points like ``surface`` (e.g. plain EI for a log-EI surface).
    ``remember_pool``: later searches score the same pool (a base model's shortlist).
    """
    pool = snap(surface.space, pool)
    values = surface.score(pool, remember_pool)
    order = np.argsort(-values, kind="stable")
    starts = pool[order[:n_starts]]
    cols = float_columns(surface.space)
    if len(cols) and maxiter > 0:
        starts = snap(
            surface.space, _local_continuous(polish or surface, starts, cols, maxiter, batched)
        )
    starts, found = _local_discrete(surface, starts)
    candidates = np.vstack([starts, pool[order]])
    scores = np.concatenate([found, values[order]])
    best_first = np.argsort(-scores, kind="stable")
    return candidates[best_first], scores[best_first]


def _local_continuous(
    surface: Scored, starts: Array, cols: NDArray[np.intp], maxiter: int, batched: bool
) -> Array:
    near = [surface.near(row) for row in starts]
    if batched and all(s is surface for s in near):
        moved = _lbfgsb(surface, starts, cols, maxiter)
        # keep a start where the run made it worse (a batched run optimises the sum)
        after, before = np.split(surface.score(np.vstack([moved, starts])), 2)
        return np.where((after >= before)[:, None], moved, starts)
    # one L-BFGS-B run per start, so no start's curvature steers another's; on a big
    # history each climbs its own neighbourhood's posterior
    out = []
    for local, start in zip(near, starts, strict=True):
        moved = _lbfgsb(local, start[None, :], cols, maxiter)
        better = local.score(moved)[0] >= local.score(start[None, :])[0]
        out.append(moved[0] if better else start)
    return np.vstack(out)


def _lbfgsb(surface: Scored, starts: Array, cols: NDArray[np.intp], maxiter: int) -> Array:
    shape = (len(starts), len(cols))

    def objective(flat: Array) -> tuple[float, Array]:
        cube = starts.copy()
        cube[:, cols] = flat.reshape(shape)
        value, grad = surface.score_with_gradient(cube, cols)
        finite = np.isfinite(value)
        return -float(value[finite].sum()), -np.where(finite[:, None], grad, 0.0).ravel()

    with np.errstate(all="ignore"):  # thread-local in numpy >= 2; non-finite handled above
        result = minimize(
            objective,
            starts[:, cols].ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * (shape[0] * shape[1]),
            options={"maxiter": maxiter},
        )
    moved = starts.copy()
    if np.all(np.isfinite(result.x)):
        moved[:, cols] = np.clip(result.x.reshape(shape), 0.0, 1.0)
    return moved


def _local_discrete(surface: Scored, starts: Array) -> tuple[Array, Array]:
    """The starts after a greedy search of their integer and categorical coordinates, and
    their scores: each round moves a start to its best neighbour while that scores higher.

    The starts climb in lockstep, so a round scores the neighbours of every start still
    climbing in one batch (one triangular solve, not one per start); on a big history each
    start climbs its own neighbourhood's posterior (``near``), alone."""
    current = starts.copy()
    movable = [i for i, row in enumerate(starts) if len(_neighbours(surface.space, row))]
    local = [surface.near(current[i]) for i in movable]
    if all(s is surface for s in local):
        return current, _climb_discrete(surface, current, list(range(len(current))))
    for s, i in zip(local, movable, strict=True):
        _climb_discrete(s, current, [i])
    return current, surface.score(current)


def _climb_discrete(surface: Scored, points: Array, rows: list[int]) -> Array:
    """Move ``points[rows]`` (in place) to their best neighbours, round after round, while
    that improves (at most MAX_DISCRETE_ROUNDS rounds); their scores then."""
    values = surface.score(points[rows])
    place = {i: j for j, i in enumerate(rows)}
    climbing = rows
    for _ in range(MAX_DISCRETE_ROUNDS):
        options = [(i, _neighbours(surface.space, points[i])) for i in climbing]
        options = [(i, neighbours) for i, neighbours in options if len(neighbours)]
        if not options:
            break
        scores = surface.score(np.vstack([neighbours for _, neighbours in options]))
        climbing, at = [], 0
        for i, neighbours in options:
            mine, at = scores[at : at + len(neighbours)], at + len(neighbours)
            best = int(np.argmax(mine))
            if mine[best] > values[place[i]]:
                points[i], values[place[i]] = neighbours[best], mine[best]
                climbing.append(i)
    return values


def _neighbours(space: SearchSpace, point: Array) -> Array:
    rows: list[Array] = []
    active = active_mask(space, point)[0]
    for j, param in enumerate(space.params):
        if not active[j]:
            continue
        if isinstance(param, CategoricalParam):
            centres = [(i + 0.5) / len(param.choices) for i in range(len(param.choices))]
        elif isinstance(param, IntParam):
            value = int(decode_value(param, float(point[j])))
            near = [v for v in (value - 1, value + 1) if param.low <= v <= param.high]
            centres = [encode_value(param, v) for v in near]
        else:
            continue
        for centre in centres:
            if abs(centre - point[j]) > 1e-12:
                row = point.copy()
                row[j] = centre
                rows.append(row)
    out = np.array(rows, dtype=np.float64).reshape(-1, len(point))
    return snap(space, out) if space.conditional and len(out) else out

"""Pareto fronts and hypervolumes, everything in maximisation form (larger is better).

- ``nondominated``: which points no other point weakly dominates with one strict gain.
- ``hypervolume``: the exact Lebesgue measure of the region dominated by a point set and
  bounded below by a reference point. Two objectives: sort by the first and sweep the
  second (O(n log n)). More: "hypervolume by slicing objectives" (While, Hingston, Barone
  and Huband 2006): slice along the last objective, each slice is the (m-1)-dimensional
  hypervolume of the points above it (O(n^2 log n) for three objectives).
- ``boxes``: the region a new point could add (above the reference, not dominated by the
  front) as disjoint axis-aligned boxes, the cell decomposition used for exact expected
  hypervolume improvement (Emmerich, Giannakoglou and Naujoks 2006; Couckuyt, Deschrijver
  and Dhaene 2014). The grid over the first m-1 objectives is cut at every front
  coordinate; within one grid column the dominated part is exactly [ref, t] of the last
  objective, t the best last coordinate of the front points that dominate the column's
  upper corner, so each column contributes one box [lower, upper] x [t, +inf). That is
  n + 1 boxes for two objectives and (n + 1)^2 for three, before neighbouring columns
  along the first objective with the same t are merged into one box (3,409 instead of
  40,401 for a 200-point front on the sphere).
"""

from __future__ import annotations

import numpy as np

from hpo_service.optimisation.gp.kernel import Array

CHUNK = 512
REFERENCE_MARGIN = 0.1
BEYOND_FRONT = 0.5
"""Where the acquisition's reference point sits between the front's nadir (0) and the nadir
of every observation (1); docs/benchmarks/multi_objective.md gives the measurements."""


def nondominated(points: Array) -> np.ndarray:
    """Boolean mask of the rows of ``points`` (n x m) that no other row dominates."""
    points = np.asarray(points, dtype=np.float64)
    n = len(points)
    keep = np.ones(n, dtype=bool)
    for start in range(0, n, CHUNK):
        block = points[start : start + CHUNK]  # is row i of the block dominated by any row?
        geq = np.all(points[None, :, :] >= block[:, None, :], axis=2)
        gt = np.any(points[None, :, :] > block[:, None, :], axis=2)
        keep[start : start + CHUNK] = ~np.any(geq & gt, axis=1)
    return keep


def hypervolume(points: Array, reference: Array) -> float:
    """Exact hypervolume of ``points`` (n x m, maximised) above ``reference`` (m)."""
    reference = np.asarray(reference, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64).reshape(-1, len(reference))
    points = points[np.all(points > reference, axis=1)]
    if not len(points):
        return 0.0
    return _slices(points[nondominated(points)], reference)


def _slices(points: Array, reference: Array) -> float:
    m = points.shape[1]
    if m == 1:
        return float(points[:, 0].max() - reference[0])
    if m == 2:
        order = np.argsort(-points[:, 0], kind="stable")
        x, y = points[order, 0], points[order, 1]
        below = np.concatenate([[reference[1]], np.maximum.accumulate(y)[:-1]])
        return float(np.sum((x - reference[0]) * np.maximum(y - below, 0.0)))
    order = np.argsort(-points[:, -1], kind="stable")
    ordered = points[order]
    z = np.concatenate([ordered[:, -1], [reference[-1]]])
    total = 0.0
    for i in range(len(ordered)):
        thickness = z[i] - z[i + 1]
        if thickness > 0.0:
            total += thickness * _slices(ordered[: i + 1, :-1], reference[:-1])
    return total


def boxes(front: Array, reference: Array) -> tuple[Array, Array]:
    """Lower and upper corners (K x m; upper may be +inf) of the non-dominated region."""
    reference = np.asarray(reference, dtype=np.float64)
    m = len(reference)
    front = np.asarray(front, dtype=np.float64).reshape(-1, m)
    front = front[np.all(front > reference, axis=1)]
    if len(front):
        front = front[nondominated(front)]
    if m == 1:  # one objective: improving on the best (expected improvement's region)
        best = front[:, 0].max() if len(front) else reference[0]
        return np.array([[best]]), np.array([[np.inf]])
    cuts = [
        np.concatenate([[reference[i]], np.unique(front[:, i]), [np.inf]]) for i in range(m - 1)
    ]
    shape = tuple(len(c) - 1 for c in cuts)
    grids = np.meshgrid(*[np.arange(k) for k in shape], indexing="ij")
    cells = np.stack([g.ravel() for g in grids], axis=1).reshape(-1, m - 1)
    upper = np.column_stack([cuts[i][cells[:, i] + 1] for i in range(m - 1)]).reshape(-1, m - 1)
    tops = np.full(len(cells), reference[-1])
    if len(front):
        above = np.all(front[None, :, : m - 1] >= upper[:, None, :], axis=2)
        heights = np.where(above, front[None, :, -1], -np.inf).max(axis=1)
        tops = np.maximum(tops, heights)
    # merge runs of neighbours along the first objective that share a top: the union of
    # [a, b] x S x [t, inf) and [b, c] x S x [t, inf) is one box, so the decomposition stays
    # exact with far fewer boxes (three objectives: 4x fewer on a 20-point front, 12x on 200)
    runs = tops.reshape(shape[0], -1).T  # one row per cell of the other objectives' grid
    starts = np.ones(runs.shape, dtype=bool)
    starts[:, 1:] = runs[:, 1:] != runs[:, :-1]
    column, first = np.nonzero(starts)  # row-major: every run of a row, in order
    flat = column * shape[0] + first
    last = np.append(flat[1:], runs.size) - 1 - column * shape[0]
    rest = np.unravel_index(column, shape[1:]) if m > 2 else ()
    lower = np.column_stack(
        [cuts[0][first]] + [cuts[i][rest[i - 1]] for i in range(1, m - 1)]
        + [runs[column, first]]
    )  # fmt: skip
    upper = np.column_stack(
        [cuts[0][last + 1]] + [cuts[i][rest[i - 1] + 1] for i in range(1, m - 1)]
        + [np.full(len(first), np.inf)]
    )  # fmt: skip
    return lower, upper


def derived_reference(points: Array) -> Array:
    """A reference point from observations (maximised): the nadir (worst value of each
    objective) moved down by 10% of that objective's range (or of max(|nadir|, 1) when all
    values are equal), so every observed point adds some volume."""
    points = np.asarray(points, dtype=np.float64)
    nadir, ideal = points.min(axis=0), points.max(axis=0)
    width = ideal - nadir
    width = np.where(width > 0.0, width, np.maximum(np.abs(nadir), 1.0))
    return np.asarray(nadir - REFERENCE_MARGIN * width, dtype=np.float64)


def acquisition_reference(feasible: Array, observed: Array, payoff: Array | None = None) -> Array:
    """The reference point EHVI uses when the study declares none (maximised); ``observed``
    holds every observation, ``feasible`` among them, ``payoff`` (optional, m x m) the
    objective values the models predict where each objective is at its best (row i: the
    predicted optimum of objective i).

    Each objective's reference lies halfway from the nadir of the feasible front to the
    worst value observed (``BEYOND_FRONT``), and at least a tenth of the front's range
    below the front (``derived_reference``'s margin, used alone when nothing lies beyond).
    Two simpler rules fail in opposite ways (both measured): from every observation, the
    worst early random samples set the box, far beyond the front, and EHVI spends its
    evaluations stretching the front's ends (three objectives: DTLZ2 loses to Optuna's
    GPSampler); from the front alone, the box shrinks with the front, and a one-point front
    leaves a sliver the engine never leaves (ZDT1 collapsed to f1 <= 0.1). Halfway keeps
    the box at least half as wide as the observed spread beyond the front.

    Both rules only see what has been observed, and the ends of the true front can lie
    beyond it: a trade-off reached only by making one objective worse than any sample did
    (VehicleSafety's lowest acceleration comes with an intrusion no random sample reached)
    sits outside the box, earns no improvement and is never explored. ``payoff`` widens
    the box to the predicted nadir, the worst value of each objective over the predicted
    individual optima (the payoff table; Benayoun et al. 1971, Miettinen 1999 ch. 2.4),
    less a tenth of its distance to the best, and never further than one observed range
    beyond the worst observation.
    """
    feasible = np.asarray(feasible, dtype=np.float64)
    observed = np.asarray(observed, dtype=np.float64)
    if not len(feasible):
        return derived_reference(observed)
    front = feasible[nondominated(feasible)]
    nadir = front.min(axis=0)
    beyond = np.maximum(nadir - observed.min(axis=0), 0.0)
    margin = np.maximum(REFERENCE_MARGIN * (front.max(axis=0) - nadir), BEYOND_FRONT * beyond)
    margin = np.where(margin > 0.0, margin, REFERENCE_MARGIN * np.maximum(np.abs(nadir), 1.0))
    reference = nadir - margin
    if payoff is not None:
        payoff = np.asarray(payoff, dtype=np.float64)
        predicted = payoff.min(axis=0)
        best = np.maximum(payoff.max(axis=0), front.max(axis=0))
        widened = predicted - REFERENCE_MARGIN * (best - predicted)
        low, high = observed.min(axis=0), observed.max(axis=0)
        reference = np.minimum(reference, np.maximum(widened, low - (high - low)))
    return np.asarray(reference, dtype=np.float64)

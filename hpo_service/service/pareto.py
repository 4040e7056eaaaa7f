"""The Pareto front of a study: feasible complete trials, hypervolume and its history.

Only complete, feasible trials enter the front (pruned, failed and infeasible ones never
do). The hypervolume uses the study's declared reference point, or one derived from the
feasible observations: per objective the worst observed value moved 10% of the observed
range further towards worse (``pareto.derived_reference``). The history gives the
hypervolume of the front of trials 0..n, for each feasible trial n in number order,
against that same reference point, so the curve never decreases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hpo_service.domain import ParetoFront, Study, Trial, TrialState
from hpo_service.optimisation.pareto import derived_reference, hypervolume, nondominated
from hpo_service.service.measures import values_of


def pareto_front(study: Study, trials: Sequence[Trial]) -> ParetoFront:
    """The study's Pareto front over ``trials`` (any states; only feasible complete count)."""
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    rows = [(t, values_of(study, t)) for t in complete if t.feasible is not False]
    feasible = [(t, v) for t, v in rows if v is not None]
    infeasible = sum(t.feasible is False for t in complete)
    if not feasible:
        return ParetoFront((), None, None, None, (), 0, infeasible)
    points = np.array([[o.to_maximise(v[o.name]) for o in study.objectives] for _, v in feasible])
    on_front = nondominated(points)
    if study.reference_point:
        reference = np.array(
            [o.to_maximise(study.reference_point[o.name]) for o in study.objectives]
        )
        source = "declared"
    else:
        reference, source = derived_reference(points), "derived"
    natural = {
        o.name: o.from_maximise(float(r)) for o, r in zip(study.objectives, reference, strict=True)
    }
    front = tuple(t for (t, _), keep in zip(feasible, on_front, strict=True) if keep)
    return ParetoFront(
        trials=front,
        reference_point=natural,
        reference=source,
        hypervolume=hypervolume(points[on_front], reference),
        history=_history([t.number for t, _ in feasible], points, reference),
        feasible_count=len(feasible),
        infeasible_count=infeasible,
    )


def _history(
    numbers: list[int], points: np.ndarray, reference: np.ndarray
) -> tuple[tuple[int, float], ...]:
    """Hypervolume after each feasible trial (recomputed only when the front changes)."""
    out: list[tuple[int, float]] = []
    front = np.empty((0, points.shape[1]))
    volume = 0.0
    for number, point in sorted(zip(numbers, points, strict=True), key=lambda item: item[0]):
        dominated = bool(np.any(np.all(front >= point, axis=1))) if len(front) else False
        if not dominated:
            front = np.vstack([front, point])
            front = front[nondominated(front)]
            volume = hypervolume(front, reference)
        out.append((number, volume))
    return tuple(out)

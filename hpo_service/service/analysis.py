"""Use cases behind the dashboard's analyses: parameter importance and the GP surrogate slice.

Both read one snapshot of the study (a read transaction) and compute outside it. Values
come back in the study's own direction: the strategy layer maximises, so for a minimised
study the surrogate's mean, observed values and acquisition inputs are flipped back here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from hpo_service import optimisation
from hpo_service.analysis import (
    MIN_COMPLETE,
    ImportanceCache,
    NotEnoughTrials,
    SurrogateUnavailable,
    parameter_importance,
)
from hpo_service.analysis.importance import observations_digest
from hpo_service.domain import CategoricalParam, Direction, Study, Trial, TrialState
from hpo_service.errors import InvalidRequest
from hpo_service.persistence import Database, Repository
from hpo_service.service.history_cache import HistoryCache
from hpo_service.service.suggestions import history_of

MIN_POINTS, MAX_POINTS = 10, 500
IMPORTANCE_CACHE = ImportanceCache()
SliceFunction = Callable[..., Mapping[str, Any]]


def _snapshot(
    database: Database, project: str, name: str, cache: HistoryCache | None
) -> tuple[Study, list[Trial]]:
    """The study and its trial outcomes, through the same history cache suggest uses."""
    with database.transaction() as session:
        study, trials, _seq = (cache or HistoryCache()).read(Repository(session, project), name)
    return study, trials


def importance(
    database: Database, project: str, name: str, cache: HistoryCache | None = None
) -> dict[str, Any]:
    """Each parameter's importance for the study's value, most important first.

    Raises:
        StudyNotFound: no such study.
        NotEnoughTrials: fewer than two complete trials.
    """
    study, trials = _snapshot(database, project, name, cache)
    observations = history_of(study, trials).completed
    key = (study.project, study.name, study.created_at.isoformat(), len(observations))
    digest = observations_digest(observations)
    result = IMPORTANCE_CACHE.get(key, digest)
    if result is None:
        result = parameter_importance(study.space, observations)
        IMPORTANCE_CACHE.put(key, digest, result)
    ranked = sorted(result.values.items(), key=lambda item: -item[1])
    return {
        "study": study.name,
        "complete_trials": result.complete_trials,
        "fitted_on": result.fitted_on,
        "method": result.method,
        "importance": [{"param": p, "importance": v} for p, v in ranked],
    }


def _slice_function() -> SliceFunction:
    function = getattr(optimisation, "posterior_slice", None)
    if function is None:
        raise SurrogateUnavailable(
            "this build of the service has no Gaussian-process engine to draw a surrogate from"
        )
    return cast(SliceFunction, function)


def surrogate(
    database: Database,
    project: str,
    name: str,
    param: str,
    points: int = 100,
    cache: HistoryCache | None = None,
) -> dict[str, Any]:
    """The GP posterior and acquisition along one parameter, others held at the best trial.

    Raises:
        StudyNotFound: no such study.
        InvalidParams: the space has no parameter ``param``.
        InvalidRequest: ``points`` outside [10, 500].
        SurrogateUnavailable: the study does not use the gp strategy.
        NotEnoughTrials: fewer than two complete trials.
    """
    if not MIN_POINTS <= points <= MAX_POINTS:
        raise InvalidRequest(f"points must be in [{MIN_POINTS}, {MAX_POINTS}], got {points}")
    study, trials = _snapshot(database, project, name, cache)
    chosen = study.space.get(param)
    history = history_of(study, trials)
    _check_surrogate(study, len(history.completed))
    seed = study.seed  # the strategy's own seed, if any, wins inside the engine, as in suggest
    raw = _slice_function()(study.space, history, study.strategy, seed, param, points=points)
    body = _normalise(_plain(raw), study, trials, param)
    body["param_type"] = chosen.type
    body["log"] = not isinstance(chosen, CategoricalParam) and chosen.log
    return body


def _check_surrogate(study: Study, complete: int) -> None:
    if study.strategy.get("name") != "gp":
        raise SurrogateUnavailable(
            f"study {study.name!r} uses the {study.strategy.get('name')!r} strategy; the "
            "surrogate view exists only for studies with strategy gp"
        )
    if complete < MIN_COMPLETE:
        raise NotEnoughTrials(
            f"the surrogate needs at least {MIN_COMPLETE} complete trials; the study has {complete}"
        )


def _normalise(
    raw: Mapping[str, Any], study: Study, trials: Sequence[Trial], param: str
) -> dict[str, Any]:
    """The engine's slice in the REST shape, in the study's own direction."""
    sign = -1.0 if study.direction is Direction.MINIMIZE else 1.0
    proposal = raw.get("next")
    return {
        "study": study.name,
        "param": param,
        "direction": study.direction.value,
        "acquisition": str(raw.get("acquisition", study.strategy.get("acquisition", "ei"))),
        "grid": list(raw.get("grid", [])),
        "mean": [None if m is None else sign * m for m in raw.get("mean", [])],
        "std": list(raw.get("std", [])),
        "acquisition_values": list(raw.get("acquisition_values", [])),
        "observed": _observed(trials, param),
        "next": None if proposal is None else {"x": proposal.get(param), "params": proposal},
        "held": raw.get("held"),
    }


def _observed(trials: Sequence[Trial], param: str) -> list[dict[str, Any]]:
    """Complete trials where ``param`` is active (an inactive parameter is absent)."""
    return [
        {"number": t.number, "x": t.params.get(param), "value": t.value}
        for t in trials
        if t.state is TrialState.COMPLETE and t.value is not None and param in t.params
    ]


def _plain(value: Any) -> Any:
    """Numpy arrays and scalars to lists and floats; non-finite floats to None (JSON-safe)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Ranked:
    """A complete trial with the GP's posterior of its objective, in the study's direction."""

    trial: Trial
    mean: float
    sd: float


def posterior_ranking(
    database: Database, project: str, name: str, cache: HistoryCache | None = None
) -> list[Ranked]:
    """The complete trials ranked by the GP's posterior mean (best first; ties: lower number).

    The recommendation of a noisy study (see optimisation/gp/recommend.py): the evaluated
    configuration the model believes best, not the luckiest observation. Any strategy's study
    can be ranked; a gp study's own seed is used so the fit is the one ``suggest`` made.

    Raises:
        StudyNotFound: no such study.
        NotEnoughTrials: fewer than MIN_COMPLETE complete trials.
        SurrogateUnavailable: the GP could not be fitted.
    """
    study, trials = _snapshot(database, project, name, cache)
    complete = [
        t
        for t in trials
        if t.state is TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    if len(complete) < MIN_COMPLETE:
        raise NotEnoughTrials(
            f"a posterior ranking needs at least {MIN_COMPLETE} complete trials; "
            f"the study has {len(complete)}"
        )
    own = study.strategy.get("seed") if study.strategy.get("name") == "gp" else None
    seed = int(own) if isinstance(own, int) else study.seed
    history = history_of(study, trials)
    mean, sd = optimisation.posterior_at(study.space, history, seed, [t.params for t in complete])
    ranked = sorted(
        zip(complete, mean.tolist(), sd.tolist(), strict=True),
        key=lambda item: (-item[1], item[0].number),
    )
    sign = -1.0 if study.direction is Direction.MINIMIZE else 1.0
    return [Ranked(t, sign * m, s) for t, m, s in ranked]

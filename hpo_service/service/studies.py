"""Use cases on studies: create (validate everything first) and update state or budget."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hpo_service.domain import (
    STUDY_NAME_PATTERN,
    Direction,
    Study,
    StudyState,
    StudySummary,
    full_match,
)
from hpo_service.errors import (
    InvalidObjectives,
    InvalidRequest,
    InvalidStrategy,
    InvalidTransition,
)
from hpo_service.objectives import Constraint, Objective, check_objectives
from hpo_service.optimisation import FACTORIES, grid_size, normalise_strategy
from hpo_service.optimisation.pruners import normalise_pruner
from hpo_service.persistence import Database, Repository
from hpo_service.wire import constraints_from_json, objectives_from_json, space_from_json

STUDY_NAME = re.compile(STUDY_NAME_PATTERN)
DEFAULT_LEASE_SECONDS = 600
DEFAULT_MAX_RETRIES = 3


def default_strategy() -> dict[str, Any]:
    """Gaussian-process BO with expected improvement when available, else random search."""
    return {"name": "gp", "acquisition": "ei"} if "gp" in FACTORIES else {"name": "random"}


def check_name(name: str) -> str:
    """Study names appear in URLs: letters, digits, '.', '_' and '-', at most 128."""
    if not full_match(STUDY_NAME, name):
        raise InvalidRequest(
            f"study name {name!r} is not allowed: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def build_study(project: str, spec: Mapping[str, Any], now: datetime) -> Study:
    """Turn a schema-checked definition into a validated Study with defaults filled in."""
    space = space_from_json(spec["space"])
    objectives, constraints, reference = outcomes_of(spec)
    strategy_spec = dict(spec.get("strategy") or default_strategy())
    check_strategy_fits(strategy_spec, objectives, constraints)
    seed = spec.get("seed", strategy_spec.get("seed"))
    if seed is None:
        seed = secrets.randbelow(2**31)
    strategy = normalise_strategy(strategy_spec, space)
    max_trials = spec.get("max_trials")
    if strategy["name"] == "grid":
        size = grid_size(space, strategy)
        max_trials = size if max_trials is None else min(max_trials, size)
    return Study(
        name=check_name(spec["name"]),
        space=space,
        direction=Direction(objectives[0].direction),
        metric=objectives[0].name,
        strategy=strategy,
        max_trials=max_trials,
        lease_seconds=int(spec.get("lease_seconds", DEFAULT_LEASE_SECONDS)),
        seed=int(seed),
        max_retries=int(spec.get("max_retries", DEFAULT_MAX_RETRIES)),
        state=StudyState.RUNNING,
        created_at=now,
        description=spec.get("description", ""),
        pruner=normalise_pruner(spec.get("pruner")),
        project=project,
        objectives=objectives,
        constraints=constraints,
        reference_point=reference,
    )


def outcomes_of(
    spec: Mapping[str, Any],
) -> tuple[tuple[Objective, ...], tuple[Constraint, ...], dict[str, float] | None]:
    """Objectives (given, or the one of direction and metric), constraints, reference point.

    With ``objectives`` given, ``direction`` and ``metric`` may still be sent but must
    name the first objective (old readers see them as the study's primary objective).
    """
    single = Objective(spec.get("metric", "value"), spec.get("direction", "minimize"))
    objectives: tuple[Objective, ...] = (single,)
    if spec.get("objectives") is not None:
        objectives = objectives_from_json(spec["objectives"])
        first = objectives[0] if objectives else None
        for key, given in (("metric", "name"), ("direction", "direction")):
            if first is not None and key in spec and spec[key] != getattr(first, given):
                raise InvalidObjectives(
                    f"{key} {spec[key]!r} differs from the first objective's "
                    f"{given} {getattr(first, given)!r}; leave {key} out or make them agree"
                )
    constraints = constraints_from_json(spec.get("constraints"))
    check_objectives(objectives, constraints, named=spec.get("objectives") is not None)
    return objectives, constraints, _reference_point(spec.get("reference_point"), objectives)


def _reference_point(data: Any, objectives: tuple[Objective, ...]) -> dict[str, float] | None:
    if data is None:
        return None
    names = [o.name for o in objectives]
    if len(names) < 2:
        raise InvalidObjectives("reference_point applies to a study with several objectives")
    if not isinstance(data, Mapping) or sorted(data) != sorted(names):
        raise InvalidObjectives(f"reference_point needs exactly one number for each of {names}")
    out: dict[str, float] = {}
    for name in names:
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidObjectives(f"reference_point[{name!r}] must be a number")
        if not math.isfinite(value):
            raise InvalidObjectives(f"reference_point[{name!r}] must be finite")
        out[name] = float(value)
    return out


def check_strategy_fits(
    strategy: Mapping[str, Any],
    objectives: tuple[Objective, ...],
    constraints: tuple[Constraint, ...],
) -> None:
    """Refuse a strategy that cannot handle several objectives or constraints."""
    name = strategy.get("name")
    if len(objectives) == 1 and not constraints:
        return
    what = "several objectives" if len(objectives) > 1 else "constraints"
    if name == "bayes_opt":
        raise InvalidStrategy(
            f"the bayes_opt strategy optimises one unconstrained objective; for {what} use "
            "gp (expected hypervolume improvement x probability of feasibility), random or grid"
        )
    acquisition = strategy.get("acquisition", "ei")
    if name == "gp" and acquisition != "ei":
        raise InvalidStrategy(
            f"with {what} the gp strategy uses expected (hypervolume) improvement times the "
            f"probability of feasibility; acquisition {acquisition!r} is not available, "
            "leave it out or use 'ei'"
        )


def create_study(database: Database, project: str, spec: Mapping[str, Any], now: datetime) -> Study:
    """Validate a study definition and store it; raise StudyAlreadyExists on a taken name."""
    study = build_study(project, spec, now)
    with database.transaction(write=True) as session:
        Repository(session, project).add_study(study)
    return study


_ALLOWED = {
    StudyState.RUNNING: {StudyState.PAUSED, StudyState.COMPLETED, StudyState.RUNNING},
    StudyState.PAUSED: {StudyState.RUNNING, StudyState.COMPLETED, StudyState.PAUSED},
    StudyState.COMPLETED: {StudyState.RUNNING, StudyState.COMPLETED},
}


def update_study(
    database: Database, project: str, name: str, changes: Mapping[str, Any], now: datetime
) -> StudySummary:
    """Change state (running / paused / completed), max_trials, description or pruner."""
    pruner = normalise_pruner(changes["pruner"]) if "pruner" in changes else None
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        locked = repo.lock_study(name)
        columns: dict[str, Any] = {}
        if "max_trials" in changes:
            columns["max_trials"] = _check_budget(
                locked.study, changes["max_trials"], locked.next_number
            )
        if "description" in changes:
            columns["description"] = changes["description"]
        if pruner is not None:
            columns["pruner"] = pruner
        if "state" in changes:
            target = StudyState(changes["state"])
            if target not in _ALLOWED[locked.study.state]:
                raise InvalidTransition(
                    f"study {name!r} is {locked.study.state.value}; it cannot become {target.value}"
                )
            columns["state"] = target
        repo.update_study(name, columns, now)
        return repo.summary(name)


def _check_budget(study: Study, max_trials: int | None, used: int) -> int | None:
    if max_trials is not None and max_trials < used:
        raise InvalidRequest(
            f"max_trials {max_trials} is below the {used} trials the study already has"
        )
    if study.strategy.get("name") == "grid":
        raise InvalidStrategy("a grid study's budget is its grid; create a new study instead")
    return max_trials


def complete_if_done(repo: Repository, name: str, now: datetime) -> None:
    """Mark a study completed once its budget is used and no trial is unfinished."""
    locked = repo.lock_study(name)
    study = locked.study
    if study.state is not StudyState.RUNNING or study.max_trials is None:
        return
    if locked.next_number >= study.max_trials and repo.count_unfinished(name) == 0:
        repo.update_study(name, {"state": StudyState.COMPLETED}, now)

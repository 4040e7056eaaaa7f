"""Use cases on studies: create (validate everything first) and update state or budget."""

from __future__ import annotations

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
from hpo_service.errors import InvalidRequest, InvalidStrategy, InvalidTransition
from hpo_service.optimisation import FACTORIES, grid_size, normalise_strategy
from hpo_service.optimisation.pruners import normalise_pruner
from hpo_service.persistence import Database, Repository
from hpo_service.wire import space_from_json

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
    strategy_spec = dict(spec.get("strategy") or default_strategy())
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
        direction=Direction(spec.get("direction", "minimize")),
        metric=spec.get("metric", "value"),
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

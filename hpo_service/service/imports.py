"""Import trials evaluated by another tool (bayes_opt logs, Optuna studies): all or nothing.

Parsers (``hpo_service/imports/``) turn a file or a storage into ``TrialRecord``s; this use
case writes them in ONE transaction through the same ``insert_trial`` as ``POST .../trials``,
so a record that the space refuses rolls everything back and names where it came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hpo_service.domain import Direction, Study, Trial
from hpo_service.errors import HpoError, InvalidRequest, StudyNotFound
from hpo_service.persistence import Database, Repository
from hpo_service.service.studies import build_study, complete_if_done
from hpo_service.service.trials import insert_trial
from hpo_service.wire import finite_value


@dataclass(frozen=True)
class TrialRecord:
    """One finished evaluation from elsewhere; ``source`` says where (e.g. ``log.json line 3``)."""

    source: str
    params: Mapping[str, Any]
    value: float | None
    failure_reason: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    """The study imported into, whether it was created, and the trials written."""

    study: Study
    created: bool
    trials: tuple[Trial, ...]


def import_trials(
    database: Database,
    project: str,
    name: str,
    records: Sequence[TrialRecord],
    now: datetime,
    create: Mapping[str, Any] | None = None,
    direction: Direction | None = None,
) -> ImportResult:
    """Write ``records`` into study ``name`` in one transaction (all or nothing).

    Args:
        create: a study definition (REST JSON) used if no study ``name`` exists.
        direction: the direction the values were measured in; a study with another one
            is refused rather than silently flipping what is better.
    Raises:
        StudyNotFound: no such study and no ``create`` definition.
        InvalidParams, InvalidValue, InvalidRequest: a record does not fit; the message
            starts with the record's source.
    """
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        created = _ensure_study(repo, project, name, create, now)
        study = repo.lock_study(name).study
        if direction is not None and study.direction is not direction:
            raise InvalidRequest(
                f"study {name!r} is to {study.direction.value} but the imported values are "
                f"to {direction.value}; import into a study with direction {direction.value}"
            )
        trials = tuple(_insert(repo, name, record, now) for record in records)
        complete_if_done(repo, name, now)
        return ImportResult(study, created, trials)


def _ensure_study(
    repo: Repository,
    project: str,
    name: str,
    create: Mapping[str, Any] | None,
    now: datetime,
) -> bool:
    try:
        repo.get_study(name)
        return False
    except StudyNotFound:
        if create is None:
            raise
    repo.add_study(build_study(project, {**create, "name": name}, now))
    return True


def _insert(repo: Repository, name: str, record: TrialRecord, now: datetime) -> Trial:
    try:
        value = None if record.value is None else finite_value(record.value)
        if value is None and record.failure_reason is None:
            raise InvalidRequest("a record needs a value or a failure reason")
        return insert_trial(
            repo, name, record.params, value, record.metadata, now, record.failure_reason
        )
    except HpoError as exc:
        raise type(exc)(f"{record.source}: {exc}; nothing was imported") from exc

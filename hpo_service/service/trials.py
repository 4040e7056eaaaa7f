"""Use cases on one trial: report, fail, heartbeat, enqueue / record, intermediate values.

Reports are idempotent: the same value twice answers the same trial; a different
value for a complete trial is a conflict. A report for a stale trial, or for one
failed because its lease ran out too often, is still recorded: nothing measured
is thrown away.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from hpo_service.domain import StudyState, Trial, TrialState
from hpo_service.errors import (
    BudgetExhausted,
    InvalidTransition,
    StudyNotRunning,
    TrialAlreadyFinished,
)
from hpo_service.persistence import Database, Repository
from hpo_service.service.studies import complete_if_done
from hpo_service.wire import finite_value

LEASE_EXPIRED = "lease expired"


def report(
    database: Database,
    project: str,
    name: str,
    number: int,
    value: Any,
    metadata: Mapping[str, Any] | None,
    now: datetime,
    worker_id: str | None = None,
) -> Trial:
    """Record the value of a handed-out trial; ``worker_id`` names who measured it."""
    number_value = finite_value(value)
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        repo.lock_study(name)
        repo.expire_leases(name, now)
        trial = repo.get_trial(name, number)
        if _already_reported(trial, number_value):
            return trial
        done = dataclasses.replace(
            trial,
            state=TrialState.COMPLETE,
            value=number_value,
            worker_id=worker_id or trial.worker_id,
            finished_at=now,
            failure_reason=None,
            lease_expires_at=None,
            metadata={**trial.metadata, **(metadata or {})},
        )
        saved = repo.save_trial(done, now)
        complete_if_done(repo, name, now)
        return saved


def _already_reported(trial: Trial, value: float) -> bool:
    """True for a repeat of the same report; raise if the trial cannot take this value."""
    where = f"trial {trial.number} of {trial.study!r}"
    if trial.state is TrialState.COMPLETE:
        if trial.value == value:
            return True
        raise TrialAlreadyFinished(
            f"{where} is already complete with value {trial.value}; "
            f"a different value ({value}) cannot replace it"
        )
    if trial.state is TrialState.FAILED and not _lease_failure(trial):
        raise TrialAlreadyFinished(
            f"{where} was reported failed ({trial.failure_reason}); "
            "record a new evaluation with POST .../trials instead"
        )
    if trial.state is TrialState.PENDING:
        raise InvalidTransition(
            f"{where} is queued and was never handed out; ask for it "
            "with POST .../suggestions, or record results with POST .../trials"
        )
    return False


def _lease_failure(trial: Trial) -> bool:
    return (trial.failure_reason or "").startswith(LEASE_EXPIRED)


def fail(
    database: Database,
    project: str,
    name: str,
    number: int,
    reason: str,
    now: datetime,
    worker_id: str | None = None,
) -> Trial:
    """Mark a trial failed; failing a failed trial again answers the same trial.

    A worker whose lease ran out and whose trial now runs elsewhere cannot fail it:
    the outcome belongs to the worker that holds it.
    """
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        repo.lock_study(name)
        repo.expire_leases(name, now)
        trial = repo.get_trial(name, number)
        if trial.state is TrialState.FAILED:
            return trial
        _check_may_fail(trial, worker_id)
        failed = dataclasses.replace(
            trial,
            state=TrialState.FAILED,
            finished_at=now,
            failure_reason=reason or "failed",
            lease_expires_at=None,
        )
        saved = repo.save_trial(failed, now)
        complete_if_done(repo, name, now)
        return saved


def _check_may_fail(trial: Trial, worker_id: str | None) -> None:
    where = f"trial {trial.number} of {trial.study!r}"
    if trial.state is TrialState.COMPLETE:
        raise TrialAlreadyFinished(f"{where} is already complete with value {trial.value}")
    held_elsewhere = trial.state is TrialState.RUNNING and trial.worker_id not in (None, worker_id)
    if worker_id and held_elsewhere:
        raise InvalidTransition(
            f"{where} was handed to worker {trial.worker_id!r} after worker {worker_id!r}'s "
            "lease ran out; only the worker holding it can fail it"
        )


def heartbeat(
    database: Database, project: str, name: str, number: int, worker_id: str | None, now: datetime
) -> Trial:
    """Extend the lease of a running trial (or revive a stale one nobody else took)."""
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        study = repo.lock_study(name).study
        trial = repo.get_trial(name, number)
        if trial.state.finished:
            raise TrialAlreadyFinished(
                f"trial {number} of {name!r} is already {trial.state.value}; stop working on it"
            )
        if trial.state is TrialState.PENDING:
            raise InvalidTransition(f"trial {number} of {name!r} was never handed out")
        if worker_id and trial.worker_id and worker_id != trial.worker_id:
            raise InvalidTransition(
                f"trial {number} of {name!r} was handed to worker {trial.worker_id!r} after "
                f"worker {worker_id!r}'s lease ran out; a report from either is still recorded"
            )
        lease = now + timedelta(seconds=study.lease_seconds)
        extended = dataclasses.replace(trial, state=TrialState.RUNNING, lease_expires_at=lease)
        return repo.save_trial(extended, now)


def add_trial(
    database: Database,
    project: str,
    name: str,
    params: Mapping[str, Any],
    value: Any,
    metadata: Mapping[str, Any] | None,
    now: datetime,
) -> Trial:
    """Queue a configuration to try next, or record one evaluated elsewhere."""
    number_value = None if value is None else finite_value(value)
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        locked = repo.lock_study(name)
        study = locked.study
        checked = study.space.check(params)
        if study.state is StudyState.COMPLETED:
            raise StudyNotRunning(f"study {name!r} is completed; reopen it with PATCH first")
        if study.max_trials is not None and locked.next_number >= study.max_trials:
            raise BudgetExhausted(
                f"study {name!r} already has its {study.max_trials} trials; raise max_trials "
                "with PATCH to add more"
            )
        state = TrialState.PENDING if number_value is None else TrialState.COMPLETE
        trial = Trial(
            study=name,
            number=locked.next_number,
            params=checked,
            state=state,
            value=number_value,
            started_at=now if number_value is not None else None,
            finished_at=now if number_value is not None else None,
            metadata=dict(metadata or {}),
        )
        saved = repo.insert_trial(trial, now)
        complete_if_done(repo, name, now)
        return saved


def add_intermediate(
    database: Database,
    project: str,
    name: str,
    number: int,
    step: int,
    value: Any,
    now: datetime,
) -> Trial:
    """Record a value reported during training at ``step``."""
    number_value = finite_value(value, "intermediate value")
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        repo.lock_study(name)
        trial = repo.get_trial(name, number)
        if trial.state.finished:
            raise TrialAlreadyFinished(f"trial {number} of {name!r} is already {trial.state.value}")
        return repo.add_intermediate(name, number, step, number_value, now)

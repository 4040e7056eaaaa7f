"""Use cases on one trial: report, fail, release, heartbeat, enqueue / record.

Which event is allowed in which state is the table in ``lifecycle``. Reports are
idempotent: the same value twice answers the same trial; a different value for a
complete trial is a conflict. A report for a stale, pruned or given-up trial is still
recorded: nothing measured is thrown away. Intermediate values and pruning live in
``pruning``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hpo_service.domain import EndReason, Study, StudyState, Trial, TrialState
from hpo_service.errors import BudgetExhausted, InvalidTransition, StudyNotRunning
from hpo_service.persistence import Database, Repository, StaleRead
from hpo_service.service import lifecycle
from hpo_service.service.lifecycle import Event, Verdict
from hpo_service.service.measures import Measured, measure
from hpo_service.service.studies import complete_if_done
from hpo_service.wire import finite_value

Clock = Callable[[], datetime]
T = TypeVar("T")


def report(
    database: Database,
    project: str,
    name: str,
    number: int,
    value: Any,
    metadata: Mapping[str, Any] | None,
    clock: Clock,
    worker_id: str | None = None,
    values: Any = None,
) -> Trial:
    """Record the value (one objective) or values (by metric name) of a handed-out trial;
    ``worker_id`` names who measured it. Checked against the study before anything is
    written."""
    end = reporting(value, metadata, worker_id, values)
    return end_trial(database, project, name, number, end, clock)


def reporting(
    value: Any, metadata: Mapping[str, Any] | None, worker_id: str | None, values: Any
) -> Ending:
    """The ending of a report (a non-finite single value is refused here, before any
    lookup)."""
    if value is not None and values is None:
        finite_value(value)

    def reported(trial: Trial, study: Study) -> dict[str, Any]:
        return {
            **measure(study, value, values).fields(),
            "worker_id": worker_id or trial.worker_id,
            "failure_reason": None,
            "pruned_step": None,
            "metadata": {**trial.metadata, **(metadata or {})},
        }

    def measured(study: Study) -> Any:
        return measure(study, value, values).values

    return Ending(Event.REPORT, worker_id, reported, measure=measured)


@dataclass(frozen=True)
class Ending:
    """How a trial ends (or is given back): the lifecycle event, who sends it, and the
    fields it changes.

    ``measure`` (reports) checks the outcome against the study before anything changes
    and gives what an idempotent repeat must match; otherwise ``value`` is that.
    """

    event: Event
    worker_id: str | None
    changes: Callable[[Trial, Study], Mapping[str, Any]]
    value: Any = None
    measure: Callable[[Study], Any] | None = None


def end_trial(
    database: Database, project: str, name: str, number: int, end: Ending, clock: Clock
) -> Trial:
    """Report, fail, prune or release a trial under the study lock, as the lifecycle table
    allows; a repeat of the same event answers the trial as it is (idempotent)."""

    def attempt(early: bool) -> Trial:
        with database.transaction(write=True) as session:
            repo = Repository(session, project, clock())
            return end_in(repo, name, number, end, clock, early)

    return read_first(attempt)


def read_first(attempt: Callable[[bool], T]) -> T:
    """``attempt(True)``: the transaction reads the trial before taking the study lock
    (``Repository.read_trial_early``: one round trip less under the lock). If the trial
    changed between that read and the lock, nothing was written (StaleRead) and
    ``attempt(False)`` reads it under the lock."""
    try:
        return attempt(True)
    except StaleRead:
        return attempt(False)


def end_in(
    repo: Repository, name: str, number: int, end: Ending, clock: Clock, early: bool = False
) -> Trial:
    """``end_trial`` inside a write transaction (``repo`` reads at its time, so a trial
    whose lease ran out reads stale); ``early``: read the trial before the lock (callers
    retry on StaleRead, ``read_first``).

    The trial's finishing time is read once the study is locked: the study's trials then
    finish in the order their transactions commit, which is the order the GP's history
    keeps (``suggestions.in_finishing_order``). Read before the lock, a request that waited
    longer could finish "earlier" than one committed before it, and the next snapshot saw
    it inserted inside a prefix that every process had already fitted a base model on.
    """
    if early:
        repo.read_trial_early(name, number)
    study = repo.lock_study(name).study
    now = clock()
    value = end.measure(study) if end.measure is not None else end.value
    trial = repo.get_trial(name, number)
    found = lifecycle.check(trial, end.event, end.worker_id, value)
    if found.verdict is Verdict.SAME:
        return trial
    changes = end.changes(trial, study)
    saved = repo.save_trial(lifecycle.moved(trial, found, now, **changes), now)
    complete_if_done(repo, name, now)
    return saved


def fail(
    database: Database,
    project: str,
    name: str,
    number: int,
    reason: str,
    clock: Clock,
    worker_id: str | None = None,
) -> Trial:
    """Mark a trial failed; failing a failed trial again answers the same trial.

    A worker whose lease ran out and whose trial now runs elsewhere cannot fail it:
    the outcome belongs to the worker that holds it.
    """
    end = Ending(Event.FAIL, worker_id, lambda trial, _: {"failure_reason": reason or "failed"})
    return end_trial(database, project, name, number, end, clock)


def release(
    database: Database, project: str, name: str, number: int, worker_id: str | None, clock: Clock
) -> Trial:
    """Give back a handed-out trial that was never started: it is queued again (pending,
    no worker, no lease) and handed to the next worker that asks. Releasing a pending
    trial answers it as is; a trial with intermediate values has started and cannot be
    released (report, fail or prune it)."""

    def queued(trial: Trial, _: Study) -> dict[str, Any]:
        if trial.intermediate:
            raise InvalidTransition(
                f"trial {trial.number} of {name!r} has intermediate values, so it has started; "
                "report, fail or prune it instead of releasing it"
            )
        return {"worker_id": None, "started_at": None, "lease_expires_at": None}

    end = Ending(Event.RELEASE, worker_id, queued)
    return end_trial(database, project, name, number, end, clock)


def heartbeat(
    database: Database, project: str, name: str, number: int, worker_id: str | None, now: datetime
) -> Trial:
    """Extend the lease of a running trial (or revive a stale one nobody else took)."""
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        study = repo.lock_study(name).study
        trial = repo.get_trial(name, number)
        return repo.save_trial(renewed(study, trial, worker_id, now), now)


def renewed(study: Study, trial: Trial, worker_id: str | None, now: datetime) -> Trial:
    """The trial with a fresh lease (heartbeat, intermediate report); raise if refused."""
    found = lifecycle.check(trial, Event.RENEW, worker_id)
    lease = now + timedelta(seconds=study.lease_seconds)
    return lifecycle.moved(trial, found, now, lease_expires_at=lease)


def add_trial(
    database: Database,
    project: str,
    name: str,
    params: Mapping[str, Any],
    value: Any,
    metadata: Mapping[str, Any] | None,
    clock: Clock,
    values: Any = None,
) -> Trial:
    """Queue a configuration to try next, or record one evaluated elsewhere (with its
    ``value``, or ``values`` by metric name); like a report, it finishes at the time read
    once the study is locked (``end_in``)."""
    if value is not None:
        finite_value(value)
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        study = repo.lock_study(name).study
        now = clock()
        measured = None
        if value is not None or values is not None:
            measured = measure(study, value, values)
        saved = insert_trial(repo, name, params, measured, metadata, now)
        complete_if_done(repo, name, now)
        return saved


def insert_trial(
    repo: Repository,
    name: str,
    params: Mapping[str, Any],
    value: float | Measured | None,
    metadata: Mapping[str, Any] | None,
    now: datetime,
    failure_reason: str | None = None,
) -> Trial:
    """Check and insert one trial in the caller's transaction: queued (no value), complete
    (a finite value, or a checked Measured) or, with ``failure_reason``, failed."""
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
    state = TrialState.PENDING if value is None else TrialState.COMPLETE
    if failure_reason is not None:
        state = TrialState.FAILED
    evaluated = state is not TrialState.PENDING
    if isinstance(value, float | int) and state is TrialState.COMPLETE:
        value = measure(study, value, None)
    outcome = value.fields() if isinstance(value, Measured) else {"value": value}
    trial = Trial(
        study=name,
        number=locked.next_number,
        params=checked,
        state=state,
        **outcome,
        started_at=now if evaluated else None,
        finished_at=now if evaluated else None,
        failure_reason=failure_reason,
        metadata=dict(metadata or {}),
        end_reason=_end_reason(state),
    )
    return repo.insert_trial(trial, now)


def _end_reason(state: TrialState) -> EndReason | None:
    """Why an inserted trial is finished: recorded with a value, or recorded as failed."""
    return {TrialState.COMPLETE: EndReason.REPORTED, TrialState.FAILED: EndReason.FAILED}.get(state)


def annotate(
    database: Database,
    project: str,
    name: str,
    number: int,
    metadata: Mapping[str, Any],
    now: datetime,
) -> Trial:
    """Merge keys into a trial's metadata (e.g. a re-score after the study); any state."""
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        repo.lock_study(name)
        trial = repo.get_trial(name, number)
        changed = replace(trial, metadata={**trial.metadata, **metadata})
        return repo.save_trial(changed, now)

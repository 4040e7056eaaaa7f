"""Suggest: hand out trials atomically per study, with the strategy's work outside the lock.

1. Snapshot (read transaction): the study and its trials become a History.
2. Outside any lock: ``strategy.prepare`` (a GP fit) on that snapshot, skipped when the
   snapshot shows enough stale or queued trials to hand out.
3. Locked write transaction (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite):
   expire leases, re-offer stale trials (retries), hand out queued ones, check the budget,
   then ask the proposer for the rest, conditioning on every configuration that is not in
   the snapshot's finished set, and insert the new trials.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from hpo_service.domain import History, Observation, Params, Study, StudyState, Trial, TrialState
from hpo_service.errors import BudgetExhausted, StudyNotRunning
from hpo_service.optimisation import Proposer, build_strategy
from hpo_service.persistence import Database, LockedStudy, Repository
from hpo_service.service.studies import complete_if_done
from hpo_service.service.trials import LEASE_EXPIRED

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A study and its history as read before taking the lock."""

    study: Study
    history: History
    finished: frozenset[int]
    reofferable: int
    seq: int


def history_of(study: Study, trials: Sequence[Trial]) -> History:
    """Complete trials become maximised observations; failed and unfinished are kept apart."""
    completed = tuple(
        Observation(t.params, study.direction.to_maximise(t.value))
        for t in trials
        if t.state is TrialState.COMPLETE and t.value is not None
    )
    failed = tuple(t.params for t in trials if t.state is TrialState.FAILED)
    pending = tuple(t.params for t in trials if not t.state.finished)
    return History(completed=completed, pending=pending, failed=failed)


def take_snapshot(database: Database, name: str) -> Snapshot:
    """Read the study and its trials without locking."""
    with database.transaction() as session:
        repo = Repository(session)
        study = repo.get_study(name)
        trials = repo.outcomes(name)
        seq = repo.current_seq(name)
    return Snapshot(
        study=study,
        history=history_of(study, trials),
        finished=frozenset(t.number for t in trials if t.state.finished),
        reofferable=sum(t.state in (TrialState.STALE, TrialState.PENDING) for t in trials),
        seq=seq,
    )


def suggest(
    database: Database, name: str, worker_id: str | None, count: int, clock: Callable[[], datetime]
) -> list[Trial]:
    """Hand out ``count`` trials: stale retries first, then queued, then new proposals."""
    snapshot = take_snapshot(database, name)
    _check_running(snapshot.study)
    strategy = build_strategy(snapshot.study.strategy)
    proposer: Proposer | None = None
    if snapshot.reofferable < count:
        proposer = strategy.prepare(snapshot.study.space, snapshot.history, snapshot.study.seed)
    with database.transaction(write=True) as session:
        repo = Repository(session)
        now = clock()
        locked = repo.lock_study(name)
        _check_running(locked.study)
        repo.expire_leases(name, now)
        handed = _reoffer(repo, locked.study, worker_id, count, now)
        need = count - len(handed)
        if need > 0:
            locked = repo.lock_study(name)
            need = _within_budget(locked, need, handed_any=bool(handed))
        if need > 0:
            if proposer is None:
                proposer = strategy.prepare(
                    snapshot.study.space, snapshot.history, snapshot.study.seed
                )
            pending = _pending_since(repo, name, snapshot)
            handed += _propose(
                repo, proposer, pending, locked.study, worker_id, need, now, handed_any=bool(handed)
            )
        if not handed:
            complete_if_done(repo, name, now)
            raise BudgetExhausted(f"study {name!r} has no trial left to hand out")
        return handed


def _check_running(study: Study) -> None:
    if study.state is not StudyState.RUNNING:
        hint = (
            'resume it with PATCH {"state": "running"}'
            if (study.state is StudyState.PAUSED)
            else "it hands out no more trials"
        )
        raise StudyNotRunning(f"study {study.name!r} is {study.state.value}; {hint}")


def _lease(study: Study, now: datetime) -> datetime:
    return now + timedelta(seconds=study.lease_seconds)


def _reoffer(
    repo: Repository, study: Study, worker_id: str | None, count: int, now: datetime
) -> list[Trial]:
    """Hand out stale trials (as retries, up to max_retries) and then queued ones."""
    handed: list[Trial] = []
    waiting = repo.trials(study.name, states=(TrialState.STALE, TrialState.PENDING))
    waiting.sort(key=lambda t: (t.state is not TrialState.STALE, t.number))
    for trial in waiting:
        if len(handed) == count:
            break
        if trial.state is TrialState.STALE and trial.retries >= study.max_retries:
            reason = f"{LEASE_EXPIRED} {trial.retries + 1} times without a report"
            repo.save_trial(
                dataclasses.replace(
                    trial,
                    state=TrialState.FAILED,
                    failure_reason=reason,
                    finished_at=now,
                    lease_expires_at=None,
                ),
                now,
            )
            continue
        retry = trial.state is TrialState.STALE
        handed.append(
            repo.save_trial(
                dataclasses.replace(
                    trial,
                    state=TrialState.RUNNING,
                    worker_id=worker_id,
                    started_at=now,
                    lease_expires_at=_lease(study, now),
                    retries=trial.retries + int(retry),
                ),
                now,
            )
        )
    return handed


def _within_budget(locked: LockedStudy, need: int, handed_any: bool) -> int:
    budget = locked.study.max_trials
    if budget is None:
        return need
    left = budget - locked.next_number
    if left <= 0 and not handed_any:
        raise BudgetExhausted(
            f"study {locked.study.name!r} has used its budget of {budget} trials; raise "
            "max_trials with PATCH to continue"
        )
    return max(0, min(need, left))


def _pending_since(repo: Repository, name: str, snapshot: Snapshot) -> list[Params]:
    """Every configuration not in the snapshot's finished set, as it is now."""
    current = repo.trials(
        name,
        states=(TrialState.PENDING, TrialState.RUNNING, TrialState.STALE),
        changed_after=snapshot.seq,
    )
    return [t.params for t in current if t.number not in snapshot.finished]


def _propose(
    repo: Repository,
    proposer: Proposer,
    pending: list[Params],
    study: Study,
    worker_id: str | None,
    need: int,
    now: datetime,
    handed_any: bool,
) -> list[Trial]:
    try:
        configs = proposer.propose(pending, need)
    except BudgetExhausted:
        if handed_any:
            return []
        raise
    return [
        repo.insert_trial(
            Trial(
                study=study.name,
                number=-1,
                params=study.space.check(params),
                state=TrialState.RUNNING,
                worker_id=worker_id,
                started_at=now,
                lease_expires_at=_lease(study, now),
            ),
            now,
        )
        for params in configs
    ]

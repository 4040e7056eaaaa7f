"""Repository: every query the use cases need, on one session; returns domain objects only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from hpo_service.domain import (
    IntermediateValue,
    Study,
    StudyState,
    StudySummary,
    Trial,
    TrialState,
)
from hpo_service.errors import StudyAlreadyExists, StudyNotFound, TrialNotFound
from hpo_service.persistence.curves import Curves
from hpo_service.persistence.mapping import (
    aware,
    copy_into,
    naive_utc,
    outcome_columns,
    study_from_row,
    trial_from_row,
)
from hpo_service.persistence.models import IntermediateValueRow, StudyRow, TrialRow
from hpo_service.persistence.summaries import (
    best_by_study,
    counts_by_study,
    lease_ran_out,
    state_at,
)
from hpo_service.wire import space_to_json

MAX_TRIAL_NUMBER = 2**31 - 1  # the column is a 32-bit INTEGER on PostgreSQL
CURVE_BATCH = 500  # trial ids per curve query: far below every database's bound-parameter limit
UNFINISHED = (TrialState.PENDING.value, TrialState.RUNNING.value, TrialState.STALE.value)


@dataclass(frozen=True)
class LockedStudy:
    """A study read under its lock, with the counters that only the lock holder may advance."""

    study: Study
    next_number: int
    seq: int


class Repository:
    """Queries and changes for the studies and trials of ONE project within one transaction.

    The project is fixed at construction and every study query is filtered by it, so a
    study of another project is simply not found. Takes and returns domain objects; rows
    stay inside. Each trial change bumps the study's change sequence, which the
    ``changed_since`` cursor of the API reads.

    Given ``now``, a running trial whose lease ran out before ``now`` is presented, counted
    and filtered as stale without writing anything; a write persists that transition for
    the trial it changes, and every suggest for all of the study's trials (``waiting``).

    Every statement under a study's lock lengthens the time the study is serialised (a
    round trip to the server each), so ``waiting`` skips its query while the study's
    ``rescan_at`` lies ahead: every trial write keeps that column a lower bound of when a
    trial may next be waiting (``_write``), and it is on the locked row itself, which a
    lock that waited reads as the holder committed it (a subquery in the lock statement
    would read the trials as they were before the wait, PostgreSQL's READ COMMITTED rule for
    FOR UPDATE). A report's changes are flushed with the hand-out's.
    """

    def __init__(self, session: Session, project: str, now: datetime | None = None) -> None:
        self.session = session
        self.project = project
        self.now = naive_utc(now) if now is not None else None
        self._rows: dict[str, StudyRow] = {}
        self._locked: set[str] = set()
        self._trial_rows: dict[tuple[int, int], TrialRow] = {}  # (study id, number), this txn
        self._curve_of: dict[int, list[IntermediateValue]] = {}  # trial id -> curve, this txn

    def _state(self) -> ColumnElement[str]:
        """The trial state column as seen at ``now`` (expired leases read as stale)."""
        return state_at(self.now)

    def _trial(self, row: TrialRow, study_name: str) -> Trial:
        """The domain trial of a row, as seen at ``now``."""
        trial = self._domain(row, study_name)
        lease = row.lease_expires_at
        running = trial.state is TrialState.RUNNING
        if running and self.now is not None and lease is not None and lease < self.now:
            return replace(trial, state=TrialState.STALE)
        return trial

    def _domain(self, row: TrialRow, study_name: str) -> Trial:
        """The domain trial of a row with its learning curve (one query if not yet read)."""
        return trial_from_row(row, study_name, self._curves([row])[row.id])

    def _curves(self, rows: Sequence[TrialRow]) -> dict[int, list[IntermediateValue]]:
        """The learning curves of these trials, by trial id: one query for those not yet read
        in this transaction, of (trial, step, value) tuples.

        Curves are read apart from the rows and never as ORM objects: loaded with the row
        (``TrialRow.intermediate`` was eager), a report at epoch k built k row objects and,
        joined, decoded the row's JSON columns k times, so a report cost O(k) and a trial
        O(k^2): 10 ms at epoch 0, 41 ms at epoch 250 (in process, SQLite, 2026-12-07).
        """
        missing = [row.id for row in rows if row.id not in self._curve_of]
        for trial_id in missing:
            self._curve_of[trial_id] = []
        point = IntermediateValueRow
        for start in range(0, len(missing), CURVE_BATCH):
            query = (
                select(point.trial_id, point.step, point.value)
                .where(point.trial_id.in_(missing[start : start + CURVE_BATCH]))
                .order_by(point.trial_id, point.step)
            )
            for trial_id, step, value in self.session.execute(query):
                self._curve_of[trial_id].append(IntermediateValue(step, value))
        return {row.id: self._curve_of[row.id] for row in rows}

    def _with_curve_flag(self, found: Any) -> TrialRow | None:
        """The row of a (row, has a curve) result; a trial without points gets its empty
        curve here, so reading it sends no second statement (most trials never report one)."""
        if found is None:
            return None
        row, has_curve = found
        if not has_curve:
            self._curve_of.setdefault(row.id, [])
        return cast(TrialRow, row)

    def ping(self) -> None:
        """A trivial round trip to the database."""
        self.session.execute(select(1)).scalar_one()

    # --- studies -----------------------------------------------------------------------
    def add_study(self, study: Study) -> None:
        """Insert a new study; raise StudyAlreadyExists if the name is taken."""
        if self._find_row(study.name) is not None:
            raise StudyAlreadyExists(
                f"a study named {study.name!r} already exists; pick another name or use it"
            )
        now = naive_utc(study.created_at)
        row = StudyRow(
            project=self.project,
            name=study.name,
            direction=study.direction.value,
            metric=study.metric,
            space=space_to_json(study.space),
            strategy=dict(study.strategy),
            max_trials=study.max_trials,
            lease_seconds=study.lease_seconds,
            max_retries=study.max_retries,
            seed=study.seed,
            state=study.state.value,
            description=study.description,
            pruner=dict(study.pruner),
            created_at=now,
            updated_at=now,
            next_number=0,
            seq=0,
            **outcome_columns(study),
        )
        self.session.add(row)
        self.session.flush()
        self._rows[study.name] = row

    def _find_row(self, name: str, lock: bool = False) -> StudyRow | None:
        if "\x00" in name:
            return None  # no stored name can hold NUL, and PostgreSQL refuses it in queries
        query = select(StudyRow).where(StudyRow.project == self.project, StudyRow.name == name)
        if lock:  # and read it afresh: a row read before the lock may have changed since
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).one_or_none()

    def _row(self, name: str, lock: bool = False) -> StudyRow:
        if name in self._rows and (not lock or name in self._locked):
            return self._rows[name]  # the session's identity map keeps it current
        row = self._find_row(name, lock)
        if row is None:
            raise StudyNotFound(f"no study named {name!r}; list studies with GET /api/v1/studies")
        self._rows[name] = row
        if lock:
            self._locked.add(name)
        return row

    def get_study(self, name: str) -> Study:
        """The study called ``name``; raise StudyNotFound."""
        return study_from_row(self._row(name))

    def lock_study(self, name: str) -> LockedStudy:
        """Read the study under its lock (FOR UPDATE on PostgreSQL; the write txn on SQLite)."""
        row = self._row(name, lock=True)
        return LockedStudy(study_from_row(row), row.next_number, row.seq)

    def update_study(self, name: str, changes: Mapping[str, Any], now: datetime) -> Study:
        """Apply column changes (state, max_trials, description) to a study."""
        row = self._row(name)
        for key, value in changes.items():
            setattr(row, key, value.value if isinstance(value, StudyState) else value)
        row.updated_at = naive_utc(now)
        return study_from_row(row)

    def delete_study(self, name: str) -> None:
        """Delete a study with all its trials."""
        self.session.delete(self._row(name))
        self._rows.pop(name, None)
        self._trial_rows.clear()

    def summaries(self) -> list[StudySummary]:
        """Every study with per-state trial counts and its best value (three queries in all)."""
        query = select(StudyRow).where(StudyRow.project == self.project)
        rows = self.session.scalars(query.order_by(StudyRow.created_at, StudyRow.id)).all()
        counts = self._counts_by_study()
        best = self._best_by_study()
        return [self._summary(row, counts.get(row.id, {}), best.get(row.id)) for row in rows]

    def summary(self, name: str) -> StudySummary:
        """One study's summary."""
        row = self._row(name)
        found = self._best_row(row)
        best = (found.number, found.value) if found is not None else None
        return self._summary(row, self._counts_by_study(row.id).get(row.id, {}), best)

    def _counts_by_study(self, study_id: int | None = None) -> dict[int, dict[TrialState, int]]:
        return counts_by_study(self.session, self.now, study_id)

    def _best_by_study(self) -> dict[int, tuple[int, float | None]]:
        return best_by_study(self.session)

    def _summary(
        self,
        row: StudyRow,
        counts: Mapping[TrialState, int],
        best: tuple[int, float | None] | None,
    ) -> StudySummary:
        return StudySummary(
            study=study_from_row(row),
            counts=dict(counts),
            best_value=best[1] if best else None,
            best_number=best[0] if best else None,
            last_activity=aware(row.updated_at),
        )

    # --- trials ------------------------------------------------------------------------
    def _write(self, study: StudyRow, row: TrialRow, trial: Trial, now: datetime) -> None:
        """Copy ``trial`` into its row and bump the change sequence; keep the study's
        ``rescan_at`` at or before the time this trial may be waiting (queued or stale:
        already; running: when its lease runs out)."""
        copy_into(row, trial)
        self._bump(study, row, now)
        if trial.state in (TrialState.PENDING, TrialState.STALE):
            _rescan_by(study, RESCAN_NOW)
        elif trial.state is TrialState.RUNNING and row.lease_expires_at is not None:
            _rescan_by(study, row.lease_expires_at)

    def _bump(self, study: StudyRow, trial: TrialRow, now: datetime) -> None:
        study.seq += 1
        study.updated_at = naive_utc(now)
        trial.updated_seq = study.seq

    def insert_trial(self, trial: Trial, now: datetime) -> Trial:
        """Insert ``trial`` under the study's next number (its own number is ignored)."""
        study = self._row(trial.study)
        row = TrialRow(study_id=study.id, number=study.next_number)
        study.next_number += 1
        self._write(study, row, trial, now)
        self.session.add(row)
        self.session.flush()
        self._curve_of[row.id] = []
        return self._domain(row, study.name)

    def save_trial(self, trial: Trial, now: datetime) -> Trial:
        """Store a changed trial (matched by study and number) and bump the change sequence.

        Not flushed here: the next query or the commit sends it, with whatever else the
        transaction changed (a report and the hand-out that follows it in one flush)."""
        study = self._row(trial.study)
        row = self._trial_row(study, trial.number)
        self._write(study, row, trial, now)
        return self._domain(row, study.name)

    def add_intermediate(self, trial: Trial, step: int, value: float, now: datetime) -> Trial:
        """Store a changed trial and append its value at ``step`` (the service checks it is new)."""
        study = self._row(trial.study)
        row = self._trial_row(study, trial.number)
        self._write(study, row, trial, now)
        curve = self._curves([row])[row.id]
        self.session.add(IntermediateValueRow(trial_id=row.id, step=step, value=value))
        self.session.flush()
        curve.append(IntermediateValue(step, value))
        return self._domain(row, study.name)

    def curves(self, study_name: str) -> Curves:
        """What pruners read of a study's learning curves (indexed queries, no history)."""
        return Curves(self.session, self._row(study_name).id)

    def _trial_row(self, study: StudyRow, number: int) -> TrialRow:
        """A trial's row; read once per transaction (a report reads it, then saves it)."""
        row = self._trial_rows.get((study.id, number))
        if row is not None:
            return row  # the session's identity map keeps it current
        if 0 <= number <= MAX_TRIAL_NUMBER:  # larger numbers cannot be stored, so do not exist
            query = select(TrialRow, _HAS_CURVE).where(
                TrialRow.study_id == study.id, TrialRow.number == number
            )
            row = self._with_curve_flag(self.session.execute(query).one_or_none())
        if row is None:
            known = f"it has trials 0..{study.next_number - 1}" if study.next_number else "none"
            raise TrialNotFound(f"study {study.name!r} has no trial {number} ({known})")
        self._trial_rows[(study.id, number)] = row
        return row

    def read_trial_early(self, study_name: str, number: int) -> None:
        """Read a trial before its study is locked (one statement, joined on the study's
        name), so that ``get_trial`` under the lock sends none: one round trip less while
        the study is serialised. Its update then matches the change sequence read here
        (TrialRow's version column): if another transaction changed the trial before the
        lock was taken, the flush updates no row and the transaction fails with StaleRead,
        to be retried with the trial read under the lock (``trials.read_first``). A trial
        not found here is looked up again under the lock, which raises the error."""
        if "\x00" in study_name or not 0 <= number <= MAX_TRIAL_NUMBER:
            return
        query = (
            select(TrialRow, _HAS_CURVE)
            .join(StudyRow, TrialRow.study_id == StudyRow.id)
            .where(
                StudyRow.project == self.project,
                StudyRow.name == study_name,
                TrialRow.number == number,
            )
        )
        row = self._with_curve_flag(self.session.execute(query).one_or_none())
        if row is not None:
            self._trial_rows[(row.study_id, number)] = row
            self._curves([row])

    def get_trial(self, study_name: str, number: int) -> Trial:
        """One trial; raise TrialNotFound."""
        study = self._row(study_name)
        return self._trial(self._trial_row(study, number), study.name)

    def trials(self, study_name: str, states: Iterable[TrialState] | None = None) -> list[Trial]:
        """Whole trials in number order: all, or those in ``states``."""
        study = self._row(study_name)
        query = select(TrialRow).where(_selected(study, states, None, self._state()))
        rows = self.session.scalars(query.order_by(TrialRow.number)).all()
        self._curves(rows)
        return [self._trial(r, study.name) for r in rows]

    def outcomes(
        self,
        study_name: str,
        states: Iterable[TrialState] | None = None,
        changed_after: int | None = None,
    ) -> list[Trial]:
        """Number, state, value(s), feasibility, params and finish time only: of every trial,
        or of those in ``states`` or changed after a seq (either), without ORM objects."""
        study = self._row(study_name)
        columns = (
            TrialRow.number,
            TrialRow.state,
            TrialRow.value,
            TrialRow.params,
            TrialRow.metric_values,
            TrialRow.feasible,
            TrialRow.finished_at,
        )
        query = select(*columns).where(
            _selected(study, states, changed_after, TrialRow.state.expression)
        )
        return [
            Trial(
                study=study.name,
                number=number,
                params=params,
                state=TrialState(state),
                value=value,
                values=values,
                feasible=feasible,
                finished_at=aware(finished_at),
            )
            for number, state, value, params, values, feasible, finished_at in self.session.execute(
                query
            )
        ]

    def page(
        self,
        study_name: str,
        states: Sequence[TrialState] | None,
        after: int | None,
        changed_since: int | None,
        limit: int,
    ) -> tuple[list[Trial], int]:
        """A page of trials (by number after ``after``, or by change seq) and the current seq."""
        study = self._row(study_name)
        query: Select[TrialRow] = select(TrialRow).where(TrialRow.study_id == study.id)
        if states:
            query = query.where(self._state().in_([s.value for s in states]))
        if changed_since is not None:
            query = query.where(TrialRow.updated_seq > changed_since).order_by(TrialRow.updated_seq)
        else:
            if after is not None:
                query = query.where(TrialRow.number > after)
            query = query.order_by(TrialRow.number)
        rows = self.session.scalars(query.limit(limit)).all()
        self._curves(rows)
        return [self._trial(r, study.name) for r in rows], study.seq

    def _best_row(self, study: StudyRow) -> TrialRow | None:
        """The best complete trial; a pruned one (its last value) only if none completed."""
        order = TrialRow.value.desc() if study.direction == "maximize" else TrialRow.value.asc()
        for state in (TrialState.COMPLETE, TrialState.PRUNED):
            query = (
                select(TrialRow)
                .where(
                    TrialRow.study_id == study.id,
                    TrialRow.state == state.value,
                    TrialRow.value.is_not(None),
                    or_(TrialRow.feasible.is_(None), TrialRow.feasible.is_(True)),
                )
                .order_by(order, TrialRow.number)
                .limit(1)
            )
            found = self.session.scalars(query).first()
            if found is not None:
                return found
        return None

    def best_trial(self, study_name: str) -> Trial | None:
        """The best complete trial (else the best pruned one); ties go to the lower number."""
        study = self._row(study_name)
        row = self._best_row(study)
        return self._domain(row, study.name) if row is not None else None

    def waiting(self, study_name: str, now: datetime) -> list[Trial]:
        """The trials a suggest may hand out again: stale and pending ones, in number order.

        One query under the study's lock, which also persists the (running, expire) -> stale
        row of service/lifecycle.py for every running trial whose lease ran out before ``now``.
        """
        study = self._row(study_name)
        if study.rescan_at is None or study.rescan_at > naive_utc(now):
            return []  # no trial can be waiting yet: no query
        query = select(TrialRow).where(TrialRow.study_id == study.id, _waiting_at(now))
        rows = self.session.scalars(query.order_by(TrialRow.number)).all()
        for row in rows:
            if row.state == TrialState.RUNNING.value:
                row.state = TrialState.STALE.value
                self._bump(study, row, now)
        # what the caller does not hand out stays waiting: scan again next time
        study.rescan_at = RESCAN_NOW if rows else self._earliest_lease(study)
        self._curves(rows)
        return [self._domain(r, study.name) for r in rows]

    def _earliest_lease(self, study: StudyRow) -> datetime | None:
        """When the first lease of a running trial runs out (None: nothing is running)."""
        running = TrialRow.state == TrialState.RUNNING.value
        query = select(func.min(TrialRow.lease_expires_at)).where(
            TrialRow.study_id == study.id, running
        )
        found: datetime | None = self.session.scalar(query)
        return found

    def studies_with_expired_leases(
        self, now: datetime, study_name: str | None = None
    ) -> list[str]:
        """Names of studies that have a running trial whose lease ran out (read-only check)."""
        if study_name is not None and "\x00" in study_name:
            return []  # no stored name holds NUL, and PostgreSQL refuses it in queries
        query = (
            select(StudyRow.name)
            .join(TrialRow, TrialRow.study_id == StudyRow.id)
            .where(StudyRow.project == self.project, lease_ran_out(naive_utc(now)))
            .distinct()
        )
        if study_name is not None:
            query = query.where(StudyRow.name == study_name)
        return list(self.session.scalars(query))

    def current_seq(self, study_name: str) -> int:
        """The study's change sequence: every trial change so far has a seq at most this."""
        return self._row(study_name).seq

    def count_unfinished(self, study_name: str) -> int:
        """How many trials are pending, running or stale."""
        study = self._row(study_name)
        query = select(func.count()).where(
            TrialRow.study_id == study.id, TrialRow.state.in_(UNFINISHED)
        )
        return int(self.session.scalar(query) or 0)


def _selected(
    study: StudyRow,
    states: Iterable[TrialState] | None,
    changed_after: int | None,
    state: ColumnElement[str],
) -> ColumnElement[bool]:
    """The study's trials, narrowed to those in ``states`` or changed after a seq (either)."""
    either: list[ColumnElement[bool]] = []
    if states is not None:
        either.append(state.in_([s.value for s in states]))
    if changed_after is not None:
        either.append(TrialRow.updated_seq > changed_after)
    if not either:
        return TrialRow.study_id == study.id
    return and_(TrialRow.study_id == study.id, or_(*either))


_HAS_CURVE = exists().where(IntermediateValueRow.trial_id == TrialRow.id).label("has_curve")
"""Whether a trial reported any intermediate value (an index probe on (trial_id, step))."""

RESCAN_NOW = datetime(1970, 1, 1)  # a ``rescan_at`` every clock has passed


def _rescan_by(study: StudyRow, due: datetime) -> None:
    """Lower the study's ``rescan_at`` to ``due`` if that is earlier."""
    if study.rescan_at is None or due < study.rescan_at:
        study.rescan_at = due


def _waiting_at(now: datetime) -> ColumnElement[bool]:
    """A trial a suggest may hand out again at ``now``: stale, queued, or running with a
    lease that ran out before ``now``."""
    waiting = TrialRow.state.in_((TrialState.STALE.value, TrialState.PENDING.value))
    return or_(waiting, lease_ran_out(naive_utc(now)))

"""Read-side aggregates over every study at once: trial counts by state and best trials.

Each is one grouped query whatever the number of studies (the studies list has no query
per study). ``now`` makes a running trial whose lease ran out count as stale without a write.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from hpo_service.domain import TrialState
from hpo_service.persistence.models import StudyRow, TrialRow


def lease_ran_out(now: datetime) -> ColumnElement[bool]:
    """A running trial whose lease ran out before naive-UTC ``now`` (it reads as stale)."""
    return and_(TrialRow.state == TrialState.RUNNING.value, TrialRow.lease_expires_at < now)


def state_at(now: datetime | None) -> ColumnElement[str]:
    """The trial state column as seen at naive-UTC ``now`` (None: as stored)."""
    if now is None:
        return TrialRow.state.expression
    return case((lease_ran_out(now), TrialState.STALE.value), else_=TrialRow.state)


def counts_by_study(
    session: Session, now: datetime | None, study_id: int | None = None
) -> dict[int, dict[TrialState, int]]:
    """Trial counts per study and state (of one study if ``study_id`` is given)."""
    state = state_at(now)
    query = select(TrialRow.study_id, state, func.count()).group_by(TrialRow.study_id, state)
    if study_id is not None:
        query = query.where(TrialRow.study_id == study_id)
    out: dict[int, dict[TrialState, int]] = {}
    for sid, name, count in session.execute(query):
        counts = out.setdefault(sid, {})
        counts[TrialState(name)] = counts.get(TrialState(name), 0) + count
    return out


def best_by_study(session: Session) -> dict[int, tuple[int, float | None]]:
    """Each study's best (number, value): complete before pruned, then by value for the
    study's direction, ties to the lower number; one window query."""
    signed = case((StudyRow.direction == "maximize", -TrialRow.value), else_=TrialRow.value)
    complete_first = case((TrialRow.state == TrialState.COMPLETE.value, 0), else_=1)
    rank = func.row_number().over(
        partition_by=TrialRow.study_id, order_by=(complete_first, signed, TrialRow.number)
    )
    ranked = (
        select(TrialRow.study_id, TrialRow.number, TrialRow.value, rank.label("rank"))
        .join(StudyRow, StudyRow.id == TrialRow.study_id)
        .where(
            TrialRow.state.in_([TrialState.COMPLETE.value, TrialState.PRUNED.value]),
            TrialRow.value.is_not(None),
            or_(TrialRow.feasible.is_(None), TrialRow.feasible.is_(True)),
        )
        .subquery()
    )
    query = select(ranked.c.study_id, ranked.c.number, ranked.c.value).where(ranked.c.rank == 1)
    return {sid: (number, value) for sid, number, value in session.execute(query)}

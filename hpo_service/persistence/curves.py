"""What pruners read of one study's learning curves: a few indexed queries, never a history.

Every query goes through ``ix_trials_study_state`` / the (study_id, number) constraint to
the study's trials and through the (trial_id, step) unique constraint to their points.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from hpo_service.domain import TrialState
from hpo_service.persistence.models import IntermediateValueRow, TrialRow

COMPLETE = TrialState.COMPLETE.value


class Curves:
    """Queries on the learning curves of the study with id ``study_id``, in one session."""

    def __init__(self, session: Session, study_id: int) -> None:
        self.session = session
        self.study_id = study_id

    def values_at_step(self, step: int, exact: bool, complete_only: bool) -> dict[int, float]:
        """Each trial's value at ``step`` (or at its first step >= ``step``), by number.

        A correlated subquery per trial, so both SQLite and PostgreSQL seek the
        (trial_id, step) index once per trial instead of scanning every curve point.
        """
        where: list[ColumnElement[bool]] = [TrialRow.study_id == self.study_id]
        if complete_only:
            where.append(TrialRow.state == COMPLETE)
        point = IntermediateValueRow
        at = point.step == step if exact else point.step >= step
        value = (
            select(point.value)
            .where(point.trial_id == TrialRow.id, at)
            .order_by(point.step)
            .limit(1)
            .scalar_subquery()
        )
        rows = self.session.execute(select(TrialRow.number, value).where(*where))
        return {number: found for number, found in rows if found is not None}

    def count_in_state(self, state: TrialState) -> int:
        """How many of the study's trials are in ``state``."""
        query = select(func.count()).where(
            TrialRow.study_id == self.study_id, TrialRow.state == state.value
        )
        return int(self.session.scalar(query) or 0)

    def first_complete_step(self) -> int | None:
        """The last step the lowest-numbered complete trial reported (None if none did)."""
        first = (
            select(func.min(TrialRow.number))
            .where(TrialRow.study_id == self.study_id, TrialRow.state == COMPLETE)
            .scalar_subquery()
        )
        query = (
            select(func.max(IntermediateValueRow.step))
            .join(TrialRow)
            .where(TrialRow.study_id == self.study_id, TrialRow.number == first)
        )
        found = self.session.scalar(query)
        return None if found is None else int(found)

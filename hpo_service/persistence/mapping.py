"""Mapping between ORM rows and domain objects (rows never leave the persistence package)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hpo_service.domain import (
    Direction,
    EndReason,
    IntermediateValue,
    Study,
    StudyState,
    Trial,
    TrialState,
)
from hpo_service.objectives import constraint_to_json
from hpo_service.persistence.models import StudyRow, TrialRow
from hpo_service.wire import constraints_from_json, objectives_from_json, space_from_json


def naive_utc(moment: datetime) -> datetime:
    """Stored form of a time: naive UTC (portable across SQLite and PostgreSQL)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def study_from_row(row: StudyRow) -> Study:
    """Map a study row to the domain."""
    return Study(
        name=row.name,
        space=space_from_json(row.space),
        direction=Direction(row.direction),
        metric=row.metric,
        strategy=dict(row.strategy),
        max_trials=row.max_trials,
        lease_seconds=row.lease_seconds,
        seed=row.seed,
        max_retries=row.max_retries,
        state=StudyState(row.state),
        created_at=aware(row.created_at) or datetime.now(UTC),
        description=row.description,
        pruner=dict(row.pruner or {"name": "none"}),
        project=row.project,
        objectives=objectives_from_json(row.objectives) if row.objectives else (),
        constraints=constraints_from_json(row.constraints),
        reference_point=dict(row.reference_point) if row.reference_point else None,
    )


def outcome_columns(study: Study) -> dict[str, Any]:
    """The 0005 columns of a study: NULL for a plain single-objective study."""
    plain = not study.multi_objective and study.objectives[0].name == study.metric
    return {
        "objectives": None
        if plain
        else [{"name": o.name, "direction": o.direction} for o in study.objectives],
        "constraints": [constraint_to_json(c) for c in study.constraints] or None,
        "reference_point": dict(study.reference_point) if study.reference_point else None,
    }


def trial_from_row(row: TrialRow, study_name: str, curve: Sequence[IntermediateValue]) -> Trial:
    """Map a trial row and its learning curve (read apart: ``Repository._curves``) to the
    domain."""
    return Trial(
        study=study_name,
        number=row.number,
        params=dict(row.params),
        state=TrialState(row.state),
        value=row.value,
        worker_id=row.worker_id,
        lease_expires_at=aware(row.lease_expires_at),
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        failure_reason=row.failure_reason,
        retries=row.retries,
        intermediate=tuple(curve),
        metadata=dict(row.extra or {}),
        updated_seq=row.updated_seq,
        end_reason=EndReason(row.end_reason) if row.end_reason else None,
        pruned_step=row.pruned_step,
        values=dict(row.metric_values) if row.metric_values is not None else None,
        feasible=row.feasible,
    )


def copy_into(row: TrialRow, trial: Trial) -> None:
    """Write a domain trial's fields into its row."""
    row.params = dict(trial.params)
    row.state = trial.state.value
    row.value = trial.value
    row.worker_id = trial.worker_id
    row.lease_expires_at = naive_utc(trial.lease_expires_at) if trial.lease_expires_at else None
    row.started_at = naive_utc(trial.started_at) if trial.started_at else None
    row.finished_at = naive_utc(trial.finished_at) if trial.finished_at else None
    row.failure_reason = trial.failure_reason
    row.retries = trial.retries
    row.extra = dict(trial.metadata)
    row.end_reason = trial.end_reason.value if trial.end_reason else None
    row.pruned_step = trial.pruned_step
    row.metric_values = dict(trial.values) if trial.values is not None else None
    row.feasible = trial.feasible

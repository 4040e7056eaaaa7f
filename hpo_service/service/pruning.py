"""Intermediate values and early stopping: record a curve point, decide, prune.

An intermediate report renews the lease and appends one point, then the study's pruner
decides from the study's current curves. The decision reads only what the pruner asks
for (one indexed query per rung or step, never the whole history) inside the same
locked transaction that appended the point, so concurrent reports on one study are
decided one after another on committed curves: the same curves give the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hpo_service.domain import IntermediateValue, Study, Trial, TrialState
from hpo_service.errors import StepConflict, StepOutOfOrder
from hpo_service.optimisation.pruners import Case, Decision, Facts, NoPruner, build_pruner
from hpo_service.persistence import Database, Repository
from hpo_service.service.lifecycle import Event
from hpo_service.service.trials import Clock, Ending, end_trial, renewed
from hpo_service.wire import finite_value

GO = Decision(False)


def report_intermediate(
    database: Database,
    project: str,
    name: str,
    number: int,
    step: int,
    value: Any,
    worker_id: str | None,
    now: datetime,
) -> tuple[Trial, Decision]:
    """Record the value at ``step`` and answer whether the trial should stop.

    An exact repeat (same step, same value) is idempotent; the same step with another
    value, or a step below the last one, is refused: a curve point is never replaced.
    """
    number_value = finite_value(value, "intermediate value")
    with database.transaction(write=True) as session:
        repo = Repository(session, project)
        study = repo.lock_study(name).study
        trial = repo.get_trial(name, number)
        if _is_repeat(trial, step, number_value):
            if trial.state.finished:
                return trial, Decision(True, f"the trial is already {trial.state.value}")
            return trial, decide(repo, study, trial)
        trial = renewed(study, trial, worker_id, now)
        _check_order(trial, step)
        saved = repo.add_intermediate(trial, step, number_value, now)
        return saved, decide(repo, study, saved)


def _is_repeat(trial: Trial, step: int, value: float) -> bool:
    where = f"trial {trial.number} of {trial.study!r}"
    for point in trial.intermediate:
        if point.step == step:
            if point.value == value:
                return True
            raise StepConflict(
                f"{where} already reported {point.value} at step {step}; a curve point is "
                f"never replaced (got {value}): report the next step instead"
            )
    return False


def _check_order(trial: Trial, step: int) -> None:
    if trial.intermediate and step < trial.intermediate[-1].step:
        last = trial.intermediate[-1].step
        raise StepOutOfOrder(
            f"trial {trial.number} of {trial.study!r} already reported step {last}; "
            f"steps must increase (got {step})"
        )


def decide(repo: Repository, study: Study, trial: Trial) -> Decision:
    """The study pruner's decision for the trial's last point (reads only what it needs)."""
    pruner = build_pruner(study.pruner)
    if isinstance(pruner, NoPruner) or not trial.intermediate:
        return GO
    curves = repo.curves(study.name)
    facts = Facts(
        curves.count_in_state(TrialState.COMPLETE),
        curves.first_complete_step() if pruner.needs_first_complete else None,
    )
    case = Case(study.name, study.direction, trial.number, tuple(trial.intermediate), facts)
    answers = {}
    for query in pruner.queries(case):
        found = curves.values_at_step(query.step, query.exact, query.complete_only)
        found.pop(trial.number, None)
        answers[query] = found
    return pruner.decide(case, answers)


def prune(
    database: Database,
    project: str,
    name: str,
    number: int,
    worker_id: str | None,
    clock: Clock,
    metadata: Mapping[str, Any] | None = None,
) -> Trial:
    """End a trial as pruned: its value is its last intermediate value (idempotent);
    ``metadata`` (e.g. the epochs it trained) is merged into the trial's."""

    def pruned(trial: Trial, _: Study) -> dict[str, Any]:
        last: IntermediateValue | None = trial.intermediate[-1] if trial.intermediate else None
        return {
            "value": last.value if last else None,
            "pruned_step": last.step if last else None,
            "worker_id": worker_id or trial.worker_id,
            "metadata": {**trial.metadata, **(metadata or {})},
        }

    return end_trial(database, project, name, number, Ending(Event.PRUNE, worker_id, pruned), clock)

"""The client's early stopping: report_intermediate, should_stop, prune, TrialPruned."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hpo_service.client import StopDecision, StudyHandle, TrialPruned
from hpo_service.domain import EndReason, TrialState
from hpo_service.errors import (
    InvalidPruner,
    InvalidValue,
    StepConflict,
    StepOutOfOrder,
    TrialAlreadyFinished,
)
from tests.client.conftest import FlakyTransport

MakeStudy = Callable[..., StudyHandle]
MEDIAN = {"name": "median", "n_startup_trials": 2}


def complete_two(study: StudyHandle) -> None:
    """Two complete trials whose curves rise to 0.9 (the study maximises)."""
    for _ in range(2):
        with study.trial(worker_id="w0") as trial:
            for step, value in enumerate([0.5, 0.7, 0.9]):
                assert trial.report_intermediate(step, value) is False
            trial.report(0.9)


def test_a_stopped_trial_ends_pruned_when_the_body_stops(make_study: MakeStudy) -> None:
    study = make_study(pruner=MEDIAN)
    complete_two(study)
    with study.trial(worker_id="w1") as trial:
        assert trial.should_stop is False and trial.stop_reason is None
        for step, value in enumerate([0.6, 0.2, 0.1]):
            if trial.report_intermediate(step, value):
                break
        assert trial.should_stop and "median" in (trial.stop_reason or "")
    ended = study.get_trial(trial.number)
    assert (ended.state, ended.end_reason, ended.value, ended.pruned_step) == (
        TrialState.PRUNED,
        EndReason.PRUNED,
        0.2,
        1,
    )
    assert study.summary().counts[TrialState.PRUNED] == 1
    assert [t.number for t in study.trials(state="pruned")] == [trial.number]


def test_raising_trial_pruned_ends_the_trial_pruned(make_study: MakeStudy) -> None:
    study = make_study()
    with study.trial(worker_id="w1") as trial:
        trial.report_intermediate(0, 0.3)
        raise TrialPruned()
    assert study.get_trial(trial.number).state is TrialState.PRUNED


def test_a_report_after_should_stop_completes_the_trial(make_study: MakeStudy) -> None:
    study = make_study(pruner=MEDIAN)
    complete_two(study)
    with study.trial(worker_id="w1") as trial:
        assert trial.report_intermediate(0, 0.1)
        trial.report(0.95)
    done = study.get_trial(trial.number)
    assert (done.state, done.end_reason, done.value) == (TrialState.COMPLETE, "reported", 0.95)
    assert study.best() is not None and study.best().number == trial.number  # type: ignore[union-attr]


def test_study_handle_calls_and_error_mapping(make_study: MakeStudy) -> None:
    study = make_study()
    (trial,) = study.suggest(worker_id="w1")
    decision = study.report_intermediate(trial.number, 0, 0.5, worker_id="w1")
    assert isinstance(decision, StopDecision) and decision.should_stop is False
    assert decision.trial.intermediate[0].value == 0.5
    assert study.report_intermediate(trial.number, 0, 0.5, worker_id="w1").trial.number == 0
    with pytest.raises(StepConflict, match="never replaced"):
        study.report_intermediate(trial.number, 0, 0.6)
    study.report_intermediate(trial.number, 3, 0.6)
    with pytest.raises(StepOutOfOrder, match="steps must increase"):
        study.report_intermediate(trial.number, 2, 0.6)
    with pytest.raises(InvalidValue):
        study.report_intermediate(trial.number, 4, float("nan"))
    pruned = study.prune(trial.number, worker_id="w1")
    assert (pruned.state, pruned.value, pruned.pruned_step) == (TrialState.PRUNED, 0.6, 3)
    assert study.prune(trial.number) == pruned
    with pytest.raises(TrialAlreadyFinished):
        study.report_intermediate(trial.number, 5, 0.7)
    with pytest.raises(InvalidPruner, match="its options"):
        study.set_pruner({"name": "median", "max_resource": 3})
    assert study.set_pruner({"name": "hyperband"}).study.pruner["max_resource"] == 100


def test_a_lost_intermediate_response_is_retried_without_a_conflict(
    make_study: MakeStudy, transport: FlakyTransport
) -> None:
    study = make_study()
    with study.trial(worker_id="w1") as trial:
        transport.fail_next("lost", match="/intermediate")
        assert trial.report_intermediate(0, 0.5) is False
        trial.report(0.5)
    assert [v.step for v in study.get_trial(trial.number).intermediate] == [0]


def test_optimize_objective_may_raise_trial_pruned(make_study: MakeStudy) -> None:
    study = make_study()
    calls: list[int] = []

    def objective(params: dict[str, object]) -> float:
        calls.append(1)
        if len(calls) % 2:
            raise TrialPruned()
        return 0.5

    finished = study.optimize(objective, n_trials=6)
    assert [t.state for t in finished] == [TrialState.PRUNED, TrialState.COMPLETE] * 3

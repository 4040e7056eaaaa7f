"""Every Client and Study method against the real app, and the mapping of errors back to types."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hpo_service.client import Client, StudyHandle
from hpo_service.domain import Direction, StudyState, TrialState
from hpo_service.errors import (
    BudgetExhausted,
    InvalidParams,
    InvalidSearchSpace,
    InvalidStrategy,
    InvalidValue,
    StudyAlreadyExists,
    StudyNotFound,
    StudyNotRunning,
    TrialAlreadyFinished,
    TrialNotFound,
)
from tests.client.conftest import SPACE

MakeStudy = Callable[..., StudyHandle]


def test_create_get_and_list_studies(hpo: Client, make_study: MakeStudy) -> None:
    study = make_study("cancer", description="demo")
    assert study.definition.direction is Direction.MAXIMIZE
    assert study.definition.space.names == ["lr", "layers", "activation"]
    assert hpo.get_study("cancer").definition.description == "demo"
    make_study("other")
    listed = {s.study.name: s for s in hpo.list_studies()}
    assert set(listed) == {"cancer", "other"}
    assert listed["cancer"].counts[TrialState.COMPLETE] == 0


def test_create_study_exist_ok_returns_the_existing_one(hpo: Client, make_study: MakeStudy) -> None:
    make_study("same", max_trials=7)
    with pytest.raises(StudyAlreadyExists, match="same"):
        make_study("same")
    assert hpo.create_study("same", SPACE, exist_ok=True).definition.max_trials == 7


@pytest.mark.parametrize(
    ("space", "strategy", "error", "message"),
    [
        ([{"name": "x", "type": "float", "low": 1, "high": 0}], None, InvalidSearchSpace, "'x'"),
        ([{"name": "x", "type": "float", "low": 0, "high": 1, "log": True}], None,
         InvalidSearchSpace, "log"),
        ([{"name": "x", "type": "float", "low": 0, "high": 1}], {"name": "grid", "grid": 0},
         InvalidStrategy, "grid"),
    ],
)  # fmt: skip
def test_create_errors_come_back_as_the_service_types(
    hpo: Client, space: list[dict[str, object]], strategy: dict[str, object] | None,
    error: type[Exception], message: str,
) -> None:  # fmt: skip
    with pytest.raises(error, match=message) as raised:
        hpo.create_study("bad", space, strategy=strategy)
    assert raised.value.extra["status"] in (400, 422)  # type: ignore[attr-defined]


def test_unknown_study_raises_study_not_found_with_the_server_message(hpo: Client) -> None:
    with pytest.raises(StudyNotFound, match="no study named 'ghost'"):
        hpo.get_study("ghost")
    with pytest.raises(StudyNotFound):
        hpo.study("ghost").suggest()


def test_suggest_report_fail_and_read_back(make_study: MakeStudy) -> None:
    study = make_study()
    first, second = study.suggest(count=2, worker_id="w1")
    assert (first.number, second.number) == (0, 1)
    assert first.state is TrialState.RUNNING and first.worker_id == "w1"
    done = study.report(first.number, 0.9, metadata={"roc_auc": 0.95})
    assert done.state is TrialState.COMPLETE and done.metadata == {"roc_auc": 0.95}
    failed = study.fail(second.number, "diverged")
    assert failed.state is TrialState.FAILED and failed.failure_reason == "diverged"
    assert study.get_trial(0).value == 0.9
    with pytest.raises(TrialNotFound):
        study.get_trial(99)


def test_report_is_idempotent_and_a_different_value_conflicts(make_study: MakeStudy) -> None:
    study = make_study()
    (trial,) = study.suggest()
    assert (
        study.report(trial.number, 0.5).updated_seq == study.report(trial.number, 0.5).updated_seq
    )
    with pytest.raises(TrialAlreadyFinished, match="already complete"):
        study.report(trial.number, 0.6)
    with pytest.raises(TrialAlreadyFinished):
        study.fail(trial.number, "late")


def test_non_finite_values_are_refused_before_sending(make_study: MakeStudy) -> None:
    study = make_study()
    (trial,) = study.suggest()
    with pytest.raises(InvalidValue, match="report the trial as failed"):
        study.report(trial.number, float("nan"))
    with pytest.raises(InvalidValue):
        study.record({"lr": 0.01, "layers": 1, "activation": "relu"}, float("inf"))


def test_heartbeat_extends_the_lease_by_the_server_clock(
    make_study: MakeStudy, clock: object
) -> None:
    study = make_study(lease_seconds=30)
    (trial,) = study.suggest(worker_id="w1")
    clock.advance(10)  # type: ignore[attr-defined]
    expires = study.heartbeat(trial.number, worker_id="w1")
    assert trial.lease_expires_at is not None and expires is not None
    assert (expires - trial.lease_expires_at).total_seconds() == pytest.approx(10, abs=0.01)


def test_enqueued_configurations_are_handed_out_first(make_study: MakeStudy) -> None:
    study = make_study()
    params = {"lr": 0.01, "layers": 2, "activation": "tanh"}
    queued = study.enqueue(params)
    assert queued.state is TrialState.PENDING
    (handed,) = study.suggest()
    assert handed.number == queued.number and handed.params == params
    with pytest.raises(InvalidParams, match="layers"):
        study.enqueue({**params, "layers": 9})


def test_record_adds_a_complete_trial_and_best_respects_direction(
    hpo: Client, make_study: MakeStudy
) -> None:
    for direction, expected in (("maximize", 0.8), ("minimize", 0.2)):
        study = make_study(direction, direction=direction)
        assert study.best() is None
        for lr, value in ((0.001, 0.5), (0.01, 0.8), (0.1, 0.2)):
            study.record({"lr": lr, "layers": 1, "activation": "relu"}, value)
        best = study.best()
        assert best is not None and best.value == expected


def test_trials_iterates_every_page_and_filters_by_state(make_study: MakeStudy) -> None:
    study = make_study()
    trials = study.suggest(count=7)
    for trial in trials[:5]:
        study.report(trial.number, trial.number / 10)
    study.fail(trials[5].number, "oops")
    assert [t.number for t in study.trials(page_size=2)] == list(range(7))
    assert [t.number for t in study.trials(state="complete", page_size=2)] == [0, 1, 2, 3, 4]
    both = study.trials(state=[TrialState.FAILED, "running"], page_size=1)
    assert [(t.number, t.state) for t in both] == [(5, TrialState.FAILED), (6, TrialState.RUNNING)]


def test_budget_and_paused_study_answer_with_their_conflict_types(make_study: MakeStudy) -> None:
    study = make_study(max_trials=2)
    study.suggest(count=2)
    with pytest.raises(BudgetExhausted, match="budget"):
        study.suggest()
    other = make_study("paused")
    assert other.set_state("paused").study.state is StudyState.PAUSED
    with pytest.raises(StudyNotRunning, match="resume it"):
        other.suggest()

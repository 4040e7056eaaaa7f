"""``with study.trial()``: the heartbeat keeps the lease, errors fail the trial, and optimize."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from hpo_service.client import RunningTrial, StudyHandle
from hpo_service.domain import TrialState
from hpo_service.errors import TrialAlreadyFinished

MakeStudy = Callable[..., StudyHandle]


def wait_for(condition: Callable[[], bool], what: str, limit: float = 10.0) -> None:
    """Poll until ``condition()`` holds (the limit only guards against a hang)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def beats(trial: RunningTrial) -> int:
    """Heartbeats sent so far."""
    assert trial.heartbeat is not None
    return trial.heartbeat.beats


def wait_for_beats(trial: RunningTrial, count: int) -> None:
    """Wait until the trial's heartbeat thread has sent ``count`` heartbeats."""
    wait_for(lambda: beats(trial) >= count, f"{count} heartbeats")


def test_the_heartbeat_keeps_a_long_trial_from_being_offered_again(
    make_study: MakeStudy, clock: Any
) -> None:
    study = make_study(lease_seconds=10)
    with study.trial(worker_id="w1", heartbeat_interval=0.02) as trial:
        for _ in range(3):  # 24 s of server time in all: the first lease would be long gone
            clock.advance(8)
            wait_for_beats(trial, beats(trial) + 2)  # one of them surely after the advance
        (other,) = study.suggest(worker_id="w2")
        assert other.number != trial.number
        trial.report(0.9, {"note": "long"})
    assert study.get_trial(trial.number).state is TrialState.COMPLETE


def test_without_heartbeats_the_same_trial_would_be_offered_again(
    make_study: MakeStudy, clock: Any
) -> None:
    study = make_study(lease_seconds=10)
    with study.trial(worker_id="w1", heartbeat_interval=3600) as trial:
        clock.advance(11)
        (other,) = study.suggest(worker_id="w2")
        assert other.number == trial.number and other.retries == 1
        assert trial.report(0.5).state is TrialState.COMPLETE  # a late report still counts


def test_a_raising_body_fails_the_trial_with_the_exception_text(make_study: MakeStudy) -> None:
    study = make_study()
    with pytest.raises(ValueError, match="diverged"), study.trial(worker_id="w1") as trial:
        raise ValueError("training diverged at epoch 3")
    failed = study.get_trial(trial.number)
    assert failed.state is TrialState.FAILED
    assert failed.failure_reason == "ValueError: training diverged at epoch 3"
    assert trial.heartbeat is not None and not trial.heartbeat._thread.is_alive()


def test_an_interrupt_fails_the_trial_and_propagates(make_study: MakeStudy) -> None:
    study = make_study()
    with pytest.raises(KeyboardInterrupt), study.trial() as trial:
        raise KeyboardInterrupt
    assert study.get_trial(trial.number).failure_reason == "KeyboardInterrupt: "


def test_a_body_that_never_reports_fails_the_trial(make_study: MakeStudy) -> None:
    study = make_study()
    with study.trial() as trial:
        assert set(trial.params) == {"lr", "layers", "activation"}
    assert "without reporting" in (study.get_trial(trial.number).failure_reason or "")


def test_a_conflicting_report_inside_the_body_propagates_and_leaves_the_trial(
    make_study: MakeStudy, clock: Any
) -> None:
    study = make_study(lease_seconds=10)
    with pytest.raises(TrialAlreadyFinished), study.trial(worker_id="w1") as trial:
        clock.advance(11)
        (other,) = study.suggest(worker_id="w2")
        study.report(other.number, 0.1)
        trial.report(0.2)
    assert study.get_trial(trial.number).value == 0.1


def test_the_heartbeat_stops_once_the_trial_belongs_to_another_worker(
    make_study: MakeStudy, clock: Any
) -> None:
    study = make_study(lease_seconds=10)
    with study.trial(worker_id="w1", heartbeat_interval=0.02) as trial:
        wait_for(lambda: beats(trial) > 0, "a first heartbeat")
        clock.advance(11)
        study.suggest(worker_id="w2")
        assert trial.heartbeat is not None
        heartbeat = trial.heartbeat
        wait_for(lambda: heartbeat.lost is not None, "the heartbeat to give up")
        trial.report(0.3)


def test_optimize_runs_trials_on_threads_and_records_failures(make_study: MakeStudy) -> None:
    study = make_study(max_trials=8)

    def objective(params: dict[str, Any]) -> float:
        if params["layers"] == 3:
            raise RuntimeError("too deep")
        return float(params["lr"])

    finished = study.optimize(objective, n_trials=6, n_workers=2)
    assert [t.number for t in finished] == list(range(6))
    for trial in finished:
        assert trial.state is (
            TrialState.FAILED if trial.params["layers"] == 3 else TrialState.COMPLETE
        )
    more = study.optimize(objective, n_trials=10)
    assert [t.number for t in more] == [6, 7]  # stopped by the budget

"""Retries at the network edge: what is retried, how long the client waits, and what it never
retries; lost responses to idempotent calls never double-count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from hpo_service.client import Client, RetryPolicy, ServiceUnavailable, StudyHandle
from hpo_service.client.http import retry_after_seconds
from hpo_service.domain import TrialState
from hpo_service.errors import StudyNotFound
from tests.client.conftest import FlakyTransport

MakeStudy = Callable[..., StudyHandle]
PARAMS = {"lr": 0.01, "layers": 1, "activation": "relu"}


@pytest.mark.parametrize("fault", ["connect", "lost", "502", "503", "504"])
def test_transient_faults_are_retried_until_the_call_succeeds(
    make_study: MakeStudy, transport: FlakyTransport, sleeps: list[float], fault: str
) -> None:
    study = make_study()
    transport.fail_next(fault, fault, match="/report")
    (trial,) = study.suggest(worker_id="w1")
    assert study.report(trial.number, 0.7).state is TrialState.COMPLETE
    assert len(sleeps) == 2


def test_a_4xx_is_never_retried(
    hpo: Client, transport: FlakyTransport, sleeps: list[float]
) -> None:
    with pytest.raises(StudyNotFound):
        hpo.get_study("ghost")
    assert transport.seen == [("GET", "/api/v1/studies/ghost")]
    assert sleeps == []


def test_retries_run_out_with_service_unavailable_after_growing_delays(
    make_study: MakeStudy, transport: FlakyTransport, sleeps: list[float]
) -> None:
    study = make_study()
    transport.fail_next(*["connect"] * 10, match="/best")
    with pytest.raises(ServiceUnavailable, match="cannot reach"):
        study.best()
    assert transport.seen.count(("GET", "/api/v1/studies/s/best")) == 4  # 1 + retries=3
    for attempt, delay in enumerate(sleeps):
        ceiling = min(10.0, 0.5 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_is_capped_and_retry_after_wins() -> None:
    policy = RetryPolicy(retries=10, backoff=1.0, max_backoff=4.0)
    assert all(2.0 <= policy.delay(n) <= 4.0 for n in range(3, 10))
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.delay(0, retry_after=60.0) == 4.0


def test_retry_after_is_honoured(
    make_study: MakeStudy, transport: FlakyTransport, sleeps: list[float]
) -> None:
    study = make_study()
    transport.fail_next("503", match="/suggestions", retry_after="2")
    study.suggest()
    assert sleeps == [2.0]


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:05 GMT", lambda: now) == 5.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize("action", ["report", "fail", "heartbeat"])
def test_a_lost_response_to_an_idempotent_call_is_retried_without_double_counting(
    make_study: MakeStudy, transport: FlakyTransport, action: str
) -> None:
    study = make_study()
    (trial,) = study.suggest(worker_id="w1")
    transport.fail_next("lost", "lost", match=f"/{action}")
    calls: dict[str, Callable[[], Any]] = {
        "report": lambda: study.report(trial.number, 0.75),
        "fail": lambda: study.fail(trial.number, "diverged"),
        "heartbeat": lambda: study.heartbeat(trial.number, worker_id="w1"),
    }
    calls[action]()
    assert transport.reached_app.count(("POST", f"/api/v1/studies/s/trials/0/{action}")) == 3
    assert [t.number for t in study.trials()] == [0]
    counts = study.summary().counts
    expected = {"report": TrialState.COMPLETE, "fail": TrialState.FAILED}
    assert counts[expected.get(action, TrialState.RUNNING)] == 1
    if action == "report":
        assert study.get_trial(0).value == 0.75


def test_a_lost_suggest_leaks_a_trial_that_goes_stale_and_is_offered_again(
    make_study: MakeStudy, transport: FlakyTransport, clock: Any
) -> None:
    study = make_study(lease_seconds=30)
    transport.fail_next("lost", match="/suggestions")
    (trial,) = study.suggest(worker_id="w1")
    assert trial.number == 1  # trial 0 was created, but its answer was lost
    assert study.get_trial(0).state is TrialState.RUNNING
    clock.advance(31)
    study.heartbeat(1, worker_id="w1")
    (again,) = study.suggest(worker_id="w2")
    assert (again.number, again.retries, again.worker_id) == (0, 1, "w2")


@pytest.mark.parametrize(("fault", "retried"), [("connect", True), ("503", True), ("502", False)])
def test_unsafe_calls_are_retried_only_when_they_surely_did_not_happen(
    make_study: MakeStudy, transport: FlakyTransport, fault: str, retried: bool
) -> None:
    study = make_study()
    transport.fail_next(fault, match="/trials")
    if retried:
        study.enqueue(PARAMS)
    else:
        with pytest.raises(ServiceUnavailable, match=fault):
            study.enqueue(PARAMS)
    assert len(list(study.trials())) == int(retried)


def test_an_unsafe_call_whose_response_is_lost_is_not_repeated(
    make_study: MakeStudy, transport: FlakyTransport
) -> None:
    study = make_study()
    transport.fail_next("lost", "lost", match="/trials")
    with pytest.raises(ServiceUnavailable, match="ReadError"):
        study.record(PARAMS, 0.5)
    assert [t.value for t in study.trials()] == [0.5]

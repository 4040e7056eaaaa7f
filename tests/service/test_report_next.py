"""A report that takes the next trial ("next"), and giving back a trial never started."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import FakeClock
from tests.service.test_studies_api import assert_problem
from tests.service.test_trials_api import URL, create, suggest


def report(client: FlaskClient, number: int, **body: Any) -> dict[str, Any]:
    response = client.post(f"{URL}/trials/{number}/report", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer: dict[str, Any] = response.get_json()
    return answer


def release(client: FlaskClient, number: int, worker: str = "w1") -> Any:
    return client.post(f"{URL}/trials/{number}/release", json={"worker_id": worker})


@pytest.mark.parametrize("strategy", ["random", "gp"])
def test_a_report_with_next_hands_the_same_worker_its_next_trials(
    client: FlaskClient, strategy: str
) -> None:
    create(client, strategy={"name": strategy, "seed": 0})
    (first,) = suggest(client)
    answer = report(client, first["number"], value=0.9, worker_id="w1", next=2)
    assert (answer["number"], answer["state"], answer["value"]) == (0, "complete", 0.9)
    assert [t["number"] for t in answer["next"]] == [1, 2]
    for trial in answer["next"]:
        assert (trial["state"], trial["worker_id"], trial["retries"]) == ("running", "w1", 0)
        assert trial["lease_expires_at"] is not None
        assert trial["params"] != first["params"]
    assert "next_problem" not in answer
    plain = report(client, 1, value=0.8)  # without "next": the v1 answer, nothing handed out
    assert "next" not in plain
    assert [t["number"] for t in suggest(client)] == [3]


def test_next_re_offers_stale_and_queued_trials_first(
    client: FlaskClient, clock: FakeClock
) -> None:
    create(client, lease_seconds=60)
    first, second = suggest(client, 2)
    clock.advance(61)  # both leases run out
    queued = client.post(f"{URL}/trials", json={"params": first["params"]})
    assert queued.status_code == 201
    answer = report(client, 0, value=0.5, worker_id="w1", next=3)  # a late report
    assert answer["state"] == "complete"
    handed = [(t["number"], t["retries"], t["state"]) for t in answer["next"]]
    assert handed == [(1, 1, "running"), (2, 0, "running"), (3, 0, "running")]
    assert answer["next"][0]["params"] == second["params"]


def test_when_nothing_can_be_handed_out_the_report_stands_and_next_problem_says_why(
    client: FlaskClient,
) -> None:
    create(client, max_trials=2)
    suggest(client, 2)
    answer = report(client, 0, value=0.5, worker_id="w1", next=1)
    assert answer["state"] == "complete" and answer["next"] == []
    problem = answer["next_problem"]
    assert (problem["status"], problem["code"]) == (409, "budget-exhausted")
    assert "max_trials" in problem["detail"]
    last = report(client, 1, value=0.6, worker_id="w1", next=1)  # completes the study
    assert last["next"] == [] and last["next_problem"]["code"] == "study-not-running"
    assert client.get(URL).get_json()["state"] == "completed"
    assert client.get(f"{URL}/trials/1").get_json()["value"] == 0.6


def test_next_is_checked_like_every_field(client: FlaskClient) -> None:
    create(client)
    suggest(client)
    for bad in (-1, 65, 1.5, "1", True):
        response = client.post(f"{URL}/trials/0/report", json={"value": 0.5, "next": bad})
        assert_problem(response, 422, "next")
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"  # nothing written


def test_a_released_trial_is_queued_again_and_handed_to_the_next_worker(
    client: FlaskClient,
) -> None:
    create(client)
    (trial,) = suggest(client)
    released = release(client, 0)
    assert released.status_code == 200
    body = released.get_json()
    assert (body["state"], body["worker_id"], body["lease_expires_at"]) == ("pending", None, None)
    assert body["started_at"] is None and body["retries"] == 0
    assert release(client, 0).get_json()["state"] == "pending"  # a repeat answers it as is
    (again,) = suggest(client, worker="w2")
    assert (again["number"], again["params"], again["retries"]) == (0, trial["params"], 0)
    assert again["worker_id"] == "w2"
    assert_problem(release(client, 0, worker="w1"), 409, "w2")  # w2 holds it now
    report(client, 0, value=0.7, worker_id="w2")
    assert_problem(release(client, 0, worker="w2"), 409, "complete")


def test_a_stale_trial_can_be_released_but_not_a_started_one(
    client: FlaskClient, clock: FakeClock
) -> None:
    create(client, lease_seconds=60)
    suggest(client, 2)
    step = client.post(f"{URL}/trials/1/intermediate", json={"step": 1, "value": 0.5})
    assert step.status_code == 200
    assert_problem(release(client, 1), 409, "intermediate values")
    assert client.get(f"{URL}/trials/1").get_json()["state"] == "running"
    clock.advance(61)
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "stale"
    assert release(client, 0).get_json()["state"] == "pending"
    assert_problem(client.post(f"{URL}/trials/99/release", json={}), 404, "no trial 99")

"""Early stopping over REST on SQLite and PostgreSQL: decisions, prune, the pruned state."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import FakeClock
from tests.service.test_studies_api import assert_problem
from tests.service.test_trials_api import URL, create, suggest

MEDIAN = {"name": "median", "n_startup_trials": 2}


def report_curve(client: FlaskClient, number: int, values: list[float]) -> dict[str, Any]:
    """Report values at steps 0, 1, ...; return the last answer."""
    body: dict[str, Any] = {}
    for step, value in enumerate(values):
        response = client.post(
            f"{URL}/trials/{number}/intermediate",
            json={"step": step, "value": value, "worker_id": "w1"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
    return body


def two_complete(client: FlaskClient) -> None:
    """Trials 0 and 1 complete with rising curves (the study maximises)."""
    suggest(client, 2)
    for number in (0, 1):
        report_curve(client, number, [0.5, 0.7, 0.9])
        client.post(f"{URL}/trials/{number}/report", json={"value": 0.9})


def test_median_answers_should_stop_and_prune_ends_the_trial(client: FlaskClient) -> None:
    create(client, pruner=MEDIAN)
    two_complete(client)
    suggest(client)
    go = report_curve(client, 2, [0.6])
    assert go["should_stop"] is False and go["reason"] is None and go["state"] == "running"
    stop = report_curve(client, 2, [0.6, 0.3])
    assert stop["should_stop"] is True and "median" in stop["reason"]
    pruned = client.post(f"{URL}/trials/2/prune", json={"worker_id": "w1"})
    assert pruned.status_code == 200
    body = pruned.get_json()
    assert (body["state"], body["end_reason"], body["value"], body["pruned_step"]) == (
        "pruned",
        "pruned",
        0.3,
        1,
    )
    again = client.post(f"{URL}/trials/2/prune", json={"worker_id": "w1"})
    assert again.get_json() == body  # idempotent
    study = client.get(URL).get_json()
    assert study["trial_counts"]["pruned"] == 1 and study["best_trial"] in (0, 1)
    listed = client.get(f"{URL}/trials?state=pruned").get_json()["trials"]
    assert [t["number"] for t in listed] == [2]
    rows = list(csv.DictReader(io.StringIO(client.get(f"{URL}/export?format=csv").text)))
    assert (rows[2]["state"], rows[2]["end_reason"], rows[2]["pruned_step"]) == (
        "pruned",
        "pruned",
        "1",
    )
    assert rows[0]["end_reason"] == "reported" and rows[0]["pruned_step"] == ""


def test_without_a_pruner_nothing_stops(client: FlaskClient) -> None:
    create(client)
    assert client.get(URL).get_json()["pruner"] == {"name": "none"}
    two_complete(client)
    suggest(client)
    assert report_curve(client, 2, [0.0, 0.0, 0.0])["should_stop"] is False


def test_a_report_after_should_stop_completes_the_trial(client: FlaskClient) -> None:
    create(client, pruner=MEDIAN)
    two_complete(client)
    suggest(client, 2)
    assert report_curve(client, 2, [0.1])["should_stop"]
    done = client.post(f"{URL}/trials/2/report", json={"value": 0.2}).get_json()
    assert (done["state"], done["end_reason"], done["value"]) == ("complete", "reported", 0.2)
    assert report_curve(client, 3, [0.1])["should_stop"]
    client.post(f"{URL}/trials/3/prune", json={})
    late = client.post(f"{URL}/trials/3/report", json={"value": 0.25}).get_json()
    assert (late["state"], late["end_reason"], late["pruned_step"]) == (
        "complete",
        "reported",
        None,
    )


def test_best_is_a_pruned_trial_only_when_nothing_completed(client: FlaskClient) -> None:
    create(client)
    suggest(client, 2)
    assert client.get(f"{URL}/best").status_code == 404
    report_curve(client, 0, [0.8])
    client.post(f"{URL}/trials/0/prune", json={})
    assert client.get(f"{URL}/best").get_json()["number"] == 0
    client.post(f"{URL}/trials/1/report", json={"value": 0.5})
    assert client.get(f"{URL}/best").get_json()["number"] == 1
    assert client.get(URL).get_json()["best_trial"] == 1


def test_an_intermediate_report_renews_the_lease(client: FlaskClient, clock: FakeClock) -> None:
    create(client, lease_seconds=60)
    suggest(client, 2)
    first = suggest(client)[0]["lease_expires_at"]
    clock.advance(50)
    renewed = report_curve(client, 0, [0.5])["lease_expires_at"]
    assert renewed > first
    clock.advance(50)  # trial 1 is past its lease; trial 0 is not
    client.post(f"{URL}/trials/2/report", json={"value": 0.1})
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"
    assert client.get(f"{URL}/trials/1").get_json()["state"] == "stale"
    revived = report_curve(client, 1, [0.5])
    assert revived["state"] == "running"


def test_patch_changes_the_pruner_of_a_running_study(client: FlaskClient) -> None:
    create(client)
    two_complete(client)
    suggest(client)
    assert not report_curve(client, 2, [0.1])["should_stop"]
    patched = client.patch(URL, json={"pruner": MEDIAN})
    assert patched.status_code == 200
    assert patched.get_json()["pruner"]["n_warmup_steps"] == 0
    assert report_curve(client, 2, [0.1, 0.1])["should_stop"]
    assert_problem(
        client.patch(URL, json={"pruner": {"name": "median", "min_resource": 1}}),
        422,
        "has no option 'min_resource'",
        "n_startup_trials",
    )
    assert_problem(client.patch(URL, json={"pruner": {"name": "asha"}}), 422, "asha")


def test_bad_intermediate_input_is_a_clear_4xx_and_loses_no_point(client: FlaskClient) -> None:
    create(client, pruner=MEDIAN)
    suggest(client, 3)
    report_curve(client, 0, [0.5, 0.6, 0.7])
    point = f"{URL}/trials/0/intermediate"
    nan = client.post(point, data='{"step": 3, "value": NaN}', content_type="application/json")
    assert_problem(nan, 422, "not finite")
    assert_problem(client.post(point, json={"step": 1, "value": 0.65}), 409, "never replaced")
    assert client.post(point, json={"step": 1, "value": 0.6}).status_code == 200  # a repeat
    assert client.post(point, json={"step": 5, "value": 0.1}).status_code == 200
    assert_problem(client.post(point, json={"step": 4, "value": 0.1}), 409, "steps must increase")
    assert_problem(client.post(point, json={"step": -1, "value": 0.1}), 422, "step")
    assert_problem(client.post(point, json={"step": 4, "value": "x"}), 422, "value")
    assert_problem(client.post(point, json={"step": 4, "value": 1, "extra": 1}), 422, "extra")
    client.post(f"{URL}/trials/0/report", json={"value": 0.8})
    assert_problem(client.post(point, json={"step": 6, "value": 0.8}), 409, "already complete")
    repeat = client.post(point, json={"step": 5, "value": 0.1}).get_json()
    assert repeat["should_stop"] is True and "already complete" in repeat["reason"]
    values = client.get(f"{URL}/trials/0").get_json()["intermediate_values"]
    assert [v["step"] for v in values] == [0, 1, 2, 5]
    assert_problem(client.post(f"{URL}/trials/0/prune", json={}), 409, "already complete")
    assert_problem(client.post(f"{URL}/trials/9/prune", json={}), 404, "no trial 9")
    client.post(f"{URL}/trials", json={"params": suggest(client)[0]["params"]})
    assert_problem(client.post(f"{URL}/trials/4/prune", json={}), 409, "never handed out")
    assert_problem(client.post(f"{URL}/trials/4/intermediate", json={"step": 0, "value": 1}), 409)
    assert_problem(client.post(f"{URL}/trials/1/prune", json={"worker_id": ""}), 422)


def test_bad_pruner_on_create_is_a_422(client: FlaskClient) -> None:
    cases = [
        ({"name": "median", "n_startup_trials": -1}, "n_startup_trials"),
        ({"name": "hyperband", "reduction_factor": 1}, "reduction_factor"),
        ({"name": "hyperband", "min_resource": 50, "max_resource": 10}, "at least min_resource"),
        ({"name": "successive_halving", "min_resource": "soon"}, "min_resource"),
        ({"name": "median", "bogus": 1}, "bogus"),
        ({"n_startup_trials": 1}, "name"),
    ]
    for pruner, fragment in cases:
        assert_problem(client.post("/api/v1/studies", json=_body(pruner)), 422, fragment)
    assert client.get("/api/v1/studies").get_json()["studies"] == []


def _body(pruner: dict[str, Any]) -> dict[str, Any]:
    from tests.conftest import study_body

    return study_body(pruner=pruner)


def test_the_lease_failure_kind_is_a_column_not_text(client: FlaskClient) -> None:
    create(client)
    suggest(client)
    failed = client.post(
        f"{URL}/trials/0/fail", json={"reason": "lease expired, says the worker"}
    ).get_json()
    assert failed["end_reason"] == "failed"
    assert_problem(client.post(f"{URL}/trials/0/report", json={"value": 0.5}), 409, "failed")


def test_openapi_describes_pruning(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    assert "post" in paths["/api/v1/studies/{name}/trials/{number}/prune"]
    schemas = doc["components"]["schemas"]
    assert "pruned" in schemas["Trial"]["properties"]["state"]["enum"]
    assert {"end_reason", "pruned_step"} <= set(schemas["Trial"]["properties"])
    answer = schemas["IntermediateAnswer"]["allOf"][1]["properties"]
    assert set(answer) == {"should_stop", "reason"}
    assert schemas["StudyCreate"]["properties"]["pruner"] == schemas["Pruner"]
    assert "worker_id" in schemas["IntermediateRequest"]["properties"]


def test_successive_halving_reads_each_trials_first_step_at_a_rung(client: FlaskClient) -> None:
    # Rungs at steps 2 and 4 (min_resource 2, factor 2). Trials 0-2 skip step 2: their
    # rung-0 values are at step 3. Trial 3 reaches rung 0 with 0.5: better than 2 of the
    # 4 values there (0.9, 0.8, 0.4 and its own), so it goes on; 0.85 does not.
    create(
        client,
        direction="minimize",
        pruner={"name": "successive_halving", "min_resource": 2, "reduction_factor": 2},
    )
    suggest(client, 5)
    for number, late in enumerate([0.9, 0.8, 0.4]):
        for step, value in [(1, 2.0), (3, late), (5, late / 2)]:
            body = {"step": step, "value": value}
            assert client.post(f"{URL}/trials/{number}/intermediate", json=body).status_code == 200
    go = client.post(f"{URL}/trials/3/intermediate", json={"step": 2, "value": 0.5}).get_json()
    assert go["should_stop"] is False
    stop = client.post(f"{URL}/trials/4/intermediate", json={"step": 2, "value": 0.85}).get_json()
    assert stop["should_stop"] is True and "rung 0 (step 2)" in stop["reason"]

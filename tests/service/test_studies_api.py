"""Studies over REST: creation, validation, listing, state changes (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import SPACE, study_body

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    """The response is a problem+json error with this status mentioning every fragment."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return body


def test_create_returns_201_with_defaults_and_location(client: FlaskClient) -> None:
    response = client.post("/api/v1/studies", json=study_body())
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/studies/cancer-mlp")
    body = response.get_json()
    assert body["state"] == "running"
    assert body["seed"] == 0
    assert body["max_retries"] == 3
    assert body["trial_counts"] == {
        "pending": 0,
        "running": 0,
        "complete": 0,
        "failed": 0,
        "stale": 0,
        "pruned": 0,
    }
    assert body["pruner"] == {"name": "none"}
    assert [p["name"] for p in body["space"]] == [p["name"] for p in SPACE]
    assert client.get("/api/v1/studies/cancer-mlp").get_json()["name"] == "cancer-mlp"


def test_duplicate_name_is_409(client: FlaskClient) -> None:
    assert client.post("/api/v1/studies", json=study_body()).status_code == 201
    body = assert_problem(client.post("/api/v1/studies", json=study_body()), 409, "already")
    assert body["code"] == "study-already-exists"


@pytest.mark.parametrize(
    ("param", "fragment"),
    [
        ({"name": "x", "type": "float", "low": 1, "high": 1}, "'x': low (1.0) must be smaller"),
        (
            {"name": "x", "type": "float", "low": 0, "high": 1, "log": True},
            "log scale needs low > 0",
        ),
        ({"name": "x", "type": "int", "low": 0.5, "high": 3}, "'x': low must be an integer"),
        ({"name": "1x", "type": "int", "low": 0, "high": 3}, "not identifier-like"),
        (
            {"name": "c", "type": "categorical", "choices": ["a", "a"]},
            "'c': choice 'a' is repeated",
        ),
        ({"name": "c", "type": "categorical", "choices": []}, "choices"),
        ({"name": "x", "type": "float", "low": 0}, "'x': high must be a number"),
        ({"name": "x", "type": "complex", "low": 0, "high": 1}, "complex"),
    ],
)
def test_invalid_parameters_name_the_parameter(
    client: FlaskClient, param: dict[str, Any], fragment: str
) -> None:
    response = client.post("/api/v1/studies", json=study_body(space=[param]))
    assert_problem(response, 422, fragment)


def test_duplicate_parameter_names_and_too_many_parameters(client: FlaskClient) -> None:
    twice = [SPACE[0], SPACE[0]]
    assert_problem(client.post("/api/v1/studies", json=study_body(space=twice)), 422, "twice")
    many = [{"name": f"p{i}", "type": "float", "low": 0, "high": 1} for i in range(65)]
    assert_problem(client.post("/api/v1/studies", json=study_body(space=many)), 422, "64")


def test_unknown_fields_and_bad_strategy_are_422(client: FlaskClient) -> None:
    assert_problem(client.post("/api/v1/studies", json=study_body(colour="red")), 422, "colour")
    bad = study_body(strategy={"name": "random", "temperature": 3})
    assert_problem(client.post("/api/v1/studies", json=bad), 422, "temperature")
    unknown = study_body(strategy={"name": "annealing"})
    assert_problem(client.post("/api/v1/studies", json=unknown), 422, "annealing")
    assert_problem(client.post("/api/v1/studies", json=study_body(name="a b")), 422, "a b")


def test_list_has_counts_and_best_value(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body())
    client.post("/api/v1/studies", json=study_body(name="other", direction="minimize"))
    trials = client.post("/api/v1/studies/cancer-mlp/suggestions", json={"count": 3}).get_json()
    client.post("/api/v1/studies/cancer-mlp/trials/0/report", json={"value": 0.7})
    client.post("/api/v1/studies/cancer-mlp/trials/1/report", json={"value": 0.9})
    client.post("/api/v1/studies/cancer-mlp/trials/2/fail", json={"reason": "diverged"})
    assert len(trials["trials"]) == 3
    studies = {s["name"]: s for s in client.get("/api/v1/studies").get_json()["studies"]}
    assert studies["cancer-mlp"]["trial_counts"]["complete"] == 2
    assert studies["cancer-mlp"]["trial_counts"]["failed"] == 1
    assert studies["cancer-mlp"]["best_value"] == 0.9
    assert studies["cancer-mlp"]["best_trial"] == 1
    assert studies["other"]["best_value"] is None


def test_pause_resume_complete(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body())
    url = "/api/v1/studies/cancer-mlp"
    assert client.patch(url, json={"state": "paused"}).get_json()["state"] == "paused"
    assert_problem(client.post(f"{url}/suggestions", json={}), 409, "paused")
    assert client.patch(url, json={"state": "running"}).get_json()["state"] == "running"
    assert client.post(f"{url}/suggestions", json={}).status_code == 200
    assert client.patch(url, json={"state": "completed"}).get_json()["state"] == "completed"
    assert_problem(client.post(f"{url}/suggestions", json={}), 409, "completed")
    assert_problem(client.patch(url, json={"state": "paused"}), 409, "cannot become paused")
    assert_problem(client.patch(url, json={"state": "sleeping"}), 422, "state")
    assert_problem(client.patch(url, json={}), 422)


def test_raise_budget_and_refuse_shrinking_below_used(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body(max_trials=2))
    url = "/api/v1/studies/cancer-mlp"
    client.post(f"{url}/suggestions", json={"count": 2})
    assert_problem(client.post(f"{url}/suggestions", json={}), 409, "budget of 2")
    assert_problem(client.patch(url, json={"max_trials": 1}), 422, "below the 2 trials")
    assert client.patch(url, json={"max_trials": 3}).get_json()["max_trials"] == 3
    assert client.post(f"{url}/suggestions", json={}).get_json()["trials"][0]["number"] == 2


def test_delete_and_404s(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body())
    assert client.delete("/api/v1/studies/cancer-mlp").status_code == 204
    body = assert_problem(client.get("/api/v1/studies/cancer-mlp"), 404, "no study named")
    assert body["code"] == "study-not-found"
    assert_problem(client.post("/api/v1/studies/nope/suggestions", json={}), 404, "nope")
    assert_problem(client.get("/api/v1/nothing-here"), 404, "openapi.json")
    assert_problem(client.put("/api/v1/studies"), 405, "PUT")


def test_openapi_is_generated_from_request_schemas(client: FlaskClient) -> None:
    from hpo_service.api.schemas import STUDY_CREATE

    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["schemas"]["StudyCreate"] == STUDY_CREATE
    for path in (
        "/api/v1/studies",
        "/api/v1/studies/{name}/suggestions",
        "/api/v1/studies/{name}/trials/{number}/report",
        "/healthz",
    ):
        assert path in doc["paths"]


def test_healthz(client: FlaskClient) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")

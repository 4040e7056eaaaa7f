"""GET /studies/{name}/importance and /surrogate through the real app (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from hpo_service import optimisation
from hpo_service.service.analysis import IMPORTANCE_CACHE
from tests.conftest import IN_CI, study_body

PROBLEM = "application/problem+json"


def json_of(response: Any) -> dict[str, Any]:
    """A response's JSON object body."""
    body: dict[str, Any] = response.get_json()
    return body


def record(client: FlaskClient, name: str, count: int) -> None:
    """Record ``count`` evaluated trials whose value grows with the learning rate."""
    for i in range(count):
        lr = 10 ** (-4 + 3 * i / max(count - 1, 1))
        params = {"learning_rate_init": lr, "hidden_layers": 1 + i % 3, "activation": "relu"}
        response = client.post(
            f"/api/v1/studies/{name}/trials", json={"params": params, "value": lr}
        )
        assert response.status_code == 201, response.json


def need_gp() -> None:
    if "gp" not in optimisation.FACTORIES or not hasattr(optimisation, "posterior_slice"):
        if IN_CI:
            pytest.fail("the gp strategy with posterior_slice must be registered under CI")
        pytest.skip("the gp strategy (with posterior_slice) is not registered in this build")


def problem(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.json
    assert response.mimetype == PROBLEM
    assert json_of(response)["code"] == code
    detail: str = json_of(response)["detail"]
    return detail


def test_importance_needs_two_complete_trials(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body(max_trials=None))
    record(client, "cancer-mlp", 1)
    detail = problem(client.get("/api/v1/studies/cancer-mlp/importance"), 409, "not-enough-trials")
    assert "at least 2 complete trials" in detail


def test_importance_ranks_parameters(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body(max_trials=None))
    record(client, "cancer-mlp", 12)
    response = client.get("/api/v1/studies/cancer-mlp/importance")
    assert response.status_code == 200, response.json
    body = json_of(response)
    assert body["complete_trials"] == 12
    names = [item["param"] for item in body["importance"]]
    assert sorted(names) == ["activation", "hidden_layers", "learning_rate_init"]
    assert names[0] == "learning_rate_init"
    assert sum(item["importance"] for item in body["importance"]) == pytest.approx(1.0)
    IMPORTANCE_CACHE.clear()  # the same answer without the cache
    assert json_of(client.get("/api/v1/studies/cancer-mlp/importance")) == body


def test_importance_of_an_unknown_study_is_404(client: FlaskClient) -> None:
    problem(client.get("/api/v1/studies/nope/importance"), 404, "study-not-found")


def test_surrogate_is_for_gp_studies_only(client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body(max_trials=None))
    record(client, "cancer-mlp", 3)
    url = "/api/v1/studies/cancer-mlp/surrogate"
    detail = problem(client.get(f"{url}?param=hidden_layers"), 409, "surrogate-unavailable")
    assert "strategy gp" in detail
    problem(client.get(url), 422, "invalid-request")
    problem(client.get(f"{url}?param=nope"), 422, "invalid-params")
    problem(client.get(f"{url}?param=hidden_layers&points=5"), 422, "invalid-request")
    problem(client.get("/api/v1/studies/nope/surrogate?param=x"), 404, "study-not-found")


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_surrogate_of_a_gp_study(client: FlaskClient, direction: str) -> None:
    need_gp()
    strategy = {"name": "gp", "acquisition": "ucb", "seed": 2}
    client.post(
        "/api/v1/studies",
        json=study_body(max_trials=None, strategy=strategy, direction=direction),
    )
    url = "/api/v1/studies/cancer-mlp/surrogate?param=learning_rate_init&points=40"
    problem(client.get(url), 409, "not-enough-trials")
    record(client, "cancer-mlp", 8)
    response = client.get(url)
    assert response.status_code == 200, response.json
    body = json_of(response)
    assert body["acquisition"] == "ucb" and body["param_type"] == "float" and body["log"]
    assert len(body["grid"]) == len(body["mean"]) == len(body["std"]) == 40
    assert len(body["acquisition_values"]) == 40
    assert len(body["observed"]) == 8
    assert 1e-4 <= body["next"]["x"] <= 0.1
    assert all(s >= 0 for s in body["std"])
    # The mean is in the study's own units: near the best observed value, whichever direction.
    best = max if direction == "maximize" else min
    closest = min(body["mean"], key=lambda m: abs(m - best(o["value"] for o in body["observed"])))
    assert abs(closest - best(o["value"] for o in body["observed"])) < 0.05


def test_openapi_describes_both_calls(client: FlaskClient) -> None:
    paths = json_of(client.get("/api/v1/openapi.json"))["paths"]
    assert "get" in paths["/api/v1/studies/{name}/importance"]
    surrogate = paths["/api/v1/studies/{name}/surrogate"]["get"]
    assert {p["name"] for p in surrogate["parameters"]} == {"name", "param", "points"}

"""Role x endpoint -> status, as a table: every endpoint of the app, every role, no token."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hpo_service.access import Role
from hpo_service.api.auth import ROLE_TABLE
from tests.conftest import study_body
from tests.security.conftest import bearer, make_token

S = "/api/v1/studies/s"
PARAMS = {"learning_rate_init": 0.01, "hidden_layers": 2, "activation": "tanh"}

# endpoint, method, path, JSON body, status when the role is allowed
CASES: list[tuple[str, str, str, Any, int]] = [
    ("meta.healthz", "GET", "/healthz", None, 200),
    ("meta.openapi", "GET", "/api/v1/openapi.json", None, 200),
    ("dashboard.signin", "GET", "/signin", None, 200),
    ("dashboard.plotly_js", "GET", "/dashboard/vendor/plotly.min.js", None, 200),
    ("dashboard.static", "GET", "/dashboard/static/dashboard/common.js", None, 200),
    ("dashboard.index", "GET", "/", None, 200),
    ("dashboard.study", "GET", "/studies/s", None, 200),
    ("studies.list_all", "GET", "/api/v1/studies", None, 200),
    ("studies.read", "GET", S, None, 200),
    ("studies.best", "GET", f"{S}/best", None, 200),
    ("studies.pareto", "GET", f"{S}/pareto", None, 200),
    ("studies.export", "GET", f"{S}/export?format=csv", None, 200),
    ("trials.list_page", "GET", f"{S}/trials", None, 200),
    ("trials.read", "GET", f"{S}/trials/0", None, 200),
    ("analysis.importance", "GET", f"{S}/importance", None, 200),
    ("analysis.ranking", "GET", f"{S}/ranking", None, 200),
    ("analysis.surrogate", "GET", f"{S}/surrogate?param=hidden_layers", None, 409),
    ("trials.suggest", "POST", f"{S}/suggestions", {}, 200),
    ("trials.release", "POST", f"{S}/trials/2/release", {}, 200),
    ("trials.heartbeat", "POST", f"{S}/trials/2/heartbeat", {}, 200),
    ("trials.intermediate", "POST", f"{S}/trials/2/intermediate", {"step": 1, "value": 1}, 200),
    ("trials.report", "POST", f"{S}/trials/2/report", {"value": 0.5}, 200),
    ("trials.fail", "POST", f"{S}/trials/2/fail", {"reason": "oom"}, 200),
    ("trials.prune", "POST", f"{S}/trials/2/prune", {}, 200),
    ("trials.annotate", "PATCH", f"{S}/trials/0", {"metadata": {"rescore": {"value": 1}}}, 200),
    ("trials.add", "POST", f"{S}/trials", {"params": PARAMS}, 201),
    ("studies.create", "POST", "/api/v1/studies", study_body(name="new"), 201),
    ("studies.update", "PATCH", S, {"description": "d"}, 200),
    ("studies.delete", "DELETE", S, None, 204),
    ("tokens.list_all", "GET", "/api/v1/tokens", None, 200),
    (
        "tokens.create",
        "POST",
        "/api/v1/tokens",
        {"name": "n", "role": "reader", "project": "a"},
        201,
    ),
    ("tokens.revoke", "DELETE", "/api/v1/tokens/{victim}", None, 204),
    ("dashboard.session_create", "POST", "/dashboard/session", {"token": "{victim_secret}"}, 204),
    ("dashboard.session_delete", "DELETE", "/dashboard/session", None, 204),
]
NOT_IN_THIS_BUILD: set[str] = set()  # endpoints listed in the table ahead of their code


def expected(endpoint: str, role: Role | None, allowed_status: int) -> int:
    """The status the table promises: allowed -> the endpoint's own answer, else 401/403."""
    needed = ROLE_TABLE[endpoint]
    if needed is None:
        return allowed_status
    if role is None:
        return 302 if endpoint.startswith("dashboard.") else 401
    return allowed_status if role.allows(needed) else 403


def _reset(client: FlaskClient, admin: str) -> dict[str, Any]:
    """Project a holds study s: trials 0 and 1 complete, trial 2 running; a victim token."""
    headers = bearer(admin, **{"X-HPO-Project": "a"})
    client.delete(S, headers=headers)
    client.delete("/api/v1/studies/new", headers=headers)
    created = client.post(
        "/api/v1/studies", json=study_body(name="s", max_trials=None), headers=headers
    )
    assert created.status_code == 201
    for value in (0.1, 0.2):
        params = {**PARAMS, "hidden_layers": 1 if value < 0.15 else 3}
        assert (
            client.post(
                f"{S}/trials", json={"params": params, "value": value}, headers=headers
            ).status_code
            == 201
        )
    assert (
        client.post(f"{S}/suggestions", json={}, headers=headers).get_json()["trials"][0]["number"]
        == 2
    )
    victim = client.post(
        "/api/v1/tokens", json={"name": "v", "role": "reader", "project": "a"}, headers=headers
    )
    return victim.get_json()


def test_every_endpoint_is_in_the_role_table_and_in_this_test(auth_app: Flask) -> None:
    endpoints = {rule.endpoint for rule in auth_app.url_map.iter_rules()}
    assert endpoints <= set(ROLE_TABLE)
    assert set(ROLE_TABLE) - endpoints == NOT_IN_THIS_BUILD
    assert {case[0] for case in CASES} == endpoints
    assert ROLE_TABLE["trials.prune"] is ROLE_TABLE["trials.annotate"] is Role.WORKER


def test_role_by_endpoint_table(auth_app: Flask, auth_client: FlaskClient) -> None:
    admin = make_token(auth_app, Role.ADMIN, name="root")
    tokens: dict[Role | None, str | None] = {None: None}
    for role in Role:
        tokens[role] = make_token(auth_app, role, "a", name=role.value)
    got: dict[tuple[str, str], int] = {}
    want: dict[tuple[str, str], int] = {}
    for endpoint, method, path, body, allowed_status in CASES:
        for role, secret in tokens.items():
            victim = _reset(auth_client, admin)
            url = path.replace("{victim}", str(victim["id"]))
            payload = dict(body) if isinstance(body, dict) else body
            if payload and payload.get("token") == "{victim_secret}":
                payload["token"] = victim["token"]
            headers = bearer(secret) if secret else {}
            auth_client.delete_cookie("hpo_token")
            response = auth_client.open(url, method=method, json=payload, headers=headers)
            key = (endpoint, role.value if role else "none")
            got[key] = response.status_code
            response.close()
            want[key] = expected(endpoint, role, allowed_status)
    assert got == want


@pytest.mark.parametrize("role", [Role.READER, Role.WORKER, Role.EDITOR])
def test_403_names_the_role_needed(auth_app: Flask, auth_client: FlaskClient, role: Role) -> None:
    secret = make_token(auth_app, role, "a")
    answer = auth_client.get("/api/v1/tokens", headers=bearer(secret))
    assert answer.status_code == 403
    body = answer.get_json()
    assert body["code"] == "forbidden"
    assert body["required_role"] == "admin"
    assert "needs role admin" in body["detail"] and f"has role {role.value}" in body["detail"]


def test_401_says_how_to_authenticate(auth_app: Flask, auth_client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer hpo_nope"}, {"Authorization": "Basic eDp5"}):
        answer = auth_client.get("/api/v1/studies", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.mimetype == "application/problem+json"
        assert "Bearer" in answer.get_json()["detail"] or "revoked" in answer.get_json()["detail"]

"""Tokens: hashed at rest, listed without secrets, revoked at once, use noted once a minute;
projects isolate teams (other projects' studies are 404, names unique per project)."""

from __future__ import annotations

import hashlib

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text

from hpo_service.access import Role
from hpo_service.persistence.models import TokenRow
from tests.conftest import FakeClock, study_body
from tests.security.conftest import bearer, make_token

URL = "/api/v1/studies/cancer-mlp"


def _every_stored_text(app: Flask) -> str:
    database = app.extensions["hpo_service"].database
    chunks: list[str] = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_the_raw_token_is_nowhere_in_the_database(
    auth_app: Flask, auth_client: FlaskClient
) -> None:
    admin = make_token(auth_app, Role.ADMIN)
    created = auth_client.post(
        "/api/v1/tokens",
        json={"name": "ci", "role": "worker", "project": "p"},
        headers=bearer(admin),
    )
    assert created.status_code == 201
    secret = created.get_json()["token"]
    assert secret.startswith("hpo_") and len(secret) >= 4 + 43  # 256 random bits
    assert auth_client.get("/api/v1/studies", headers=bearer(secret)).status_code == 200
    stored = _every_stored_text(auth_app)
    for raw in (admin, secret, secret.removeprefix("hpo_")):
        assert raw not in stored
    database = auth_app.extensions["hpo_service"].database
    with database.transaction() as session:
        hashes = set(session.scalars(select(TokenRow.token_hash)))
    assert hashlib.sha256(secret.encode()).hexdigest() in hashes
    listing = auth_client.get("/api/v1/tokens", headers=bearer(admin)).get_json()["tokens"]
    assert [t["name"] for t in listing] == ["t", "ci"]
    assert set(listing[1]) == {
        "id",
        "name",
        "role",
        "project",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    assert secret not in str(listing)


def test_revocation_takes_effect_on_the_next_request(
    auth_app: Flask, auth_client: FlaskClient
) -> None:
    admin = make_token(auth_app, Role.ADMIN, name="admin")
    worker = auth_app.extensions["hpo_service"].tokens.create("w", Role.WORKER, "p")
    headers = bearer(worker[1])
    assert auth_client.get("/api/v1/studies", headers=headers).status_code == 200
    assert (
        auth_client.delete(f"/api/v1/tokens/{worker[0].id}", headers=bearer(admin)).status_code
        == 204
    )
    assert auth_client.get("/api/v1/studies", headers=headers).status_code == 401
    again = auth_client.delete(f"/api/v1/tokens/{worker[0].id}", headers=bearer(admin))
    assert again.status_code == 404


def test_a_token_cannot_revoke_itself_over_rest(auth_app: Flask, auth_client: FlaskClient) -> None:
    token, secret = auth_app.extensions["hpo_service"].tokens.create("a", Role.ADMIN, None)
    answer = auth_client.delete(f"/api/v1/tokens/{token.id}", headers=bearer(secret))
    assert answer.status_code == 409
    assert "hpo token revoke" in answer.get_json()["detail"]


def test_last_used_is_written_at_most_once_a_minute(auth_app: Flask, clock: FakeClock) -> None:
    tokens = auth_app.extensions["hpo_service"].tokens
    token, secret = tokens.create("r", Role.READER, "p")
    assert tokens.listing()[0].last_used_at is None
    tokens.authenticate(secret)
    first = tokens.listing()[0].last_used_at
    assert first == clock.now
    clock.advance(30)
    tokens.authenticate(secret)
    assert tokens.listing()[0].last_used_at == first
    clock.advance(31)
    tokens.authenticate(secret)
    assert tokens.listing()[0].last_used_at == clock.now
    assert token.id == tokens.listing()[0].id


def test_a_project_admin_manages_only_its_own_project(
    auth_app: Flask, auth_client: FlaskClient
) -> None:
    make_token(auth_app, Role.READER, "other", name="theirs")
    mine = make_token(auth_app, Role.ADMIN, "a", name="mine")
    listing = auth_client.get("/api/v1/tokens", headers=bearer(mine)).get_json()["tokens"]
    assert [t["name"] for t in listing] == ["mine"]
    for body in ({"name": "x", "role": "admin"}, {"name": "x", "role": "reader", "project": "b"}):
        assert (
            auth_client.post("/api/v1/tokens", json=body, headers=bearer(mine)).status_code == 403
        )
    theirs_id = 1
    assert (
        auth_client.delete(f"/api/v1/tokens/{theirs_id}", headers=bearer(mine)).status_code == 404
    )


def test_projects_isolate_studies(auth_app: Flask, auth_client: FlaskClient) -> None:
    alice = bearer(make_token(auth_app, Role.EDITOR, "a", name="alice"))
    bob = bearer(make_token(auth_app, Role.EDITOR, "b", name="bob"))
    created = auth_client.post("/api/v1/studies", json=study_body(), headers=alice)
    assert created.status_code == 201 and created.get_json()["project"] == "a"
    assert auth_client.post(f"{URL}/suggestions", json={}, headers=alice).status_code == 200
    calls = [
        ("GET", URL, None),
        ("GET", f"{URL}/best", None),
        ("GET", f"{URL}/export", None),
        ("GET", f"{URL}/trials", None),
        ("GET", f"{URL}/trials/0", None),
        ("GET", f"{URL}/importance", None),
        ("PATCH", URL, {"description": "mine now"}),
        ("POST", f"{URL}/suggestions", {}),
        ("POST", f"{URL}/trials/0/report", {"value": 1.0}),
        ("POST", f"{URL}/trials/0/fail", {}),
        ("POST", f"{URL}/trials/0/heartbeat", {}),
        ("POST", f"{URL}/trials/0/intermediate", {"step": 0, "value": 1.0}),
        ("POST", f"{URL}/trials", {"params": {"hidden_layers": 1}}),
        ("DELETE", URL, None),
    ]
    for method, path, body in calls:
        answer = auth_client.open(path, method=method, json=body, headers=bob)
        assert answer.status_code == 404, (method, path, answer.get_json())
        assert "project" not in answer.get_json()["detail"]
    assert auth_client.get("/api/v1/studies", headers=bob).get_json()["studies"] == []
    again = auth_client.post("/api/v1/studies", json=study_body(), headers=bob)
    assert again.status_code == 201  # names are unique per project, not globally
    assert auth_client.post("/api/v1/studies", json=study_body(), headers=alice).status_code == 409
    mine = auth_client.get(URL, headers=alice).get_json()
    assert (mine["project"], mine["trial_counts"]["running"]) == ("a", 1)
    assert auth_client.get(URL, headers={**alice, "X-HPO-Project": "b"}).status_code == 403


def test_a_project_less_admin_picks_the_project_by_header(
    auth_app: Flask, auth_client: FlaskClient
) -> None:
    admin = make_token(auth_app, Role.ADMIN)
    headers = bearer(admin, **{"X-HPO-Project": "team-x"})
    assert (
        auth_client.post("/api/v1/studies", json=study_body(), headers=headers).status_code == 201
    )
    assert auth_client.get(URL, headers=bearer(admin)).status_code == 404  # default project
    assert auth_client.get(URL, headers=headers).get_json()["project"] == "team-x"
    bad = auth_client.get(URL, headers=bearer(admin, **{"X-HPO-Project": "no/slash"}))
    assert bad.status_code == 422


def test_the_dashboard_cookie_reads_but_never_writes(
    auth_app: Flask, auth_client: FlaskClient
) -> None:
    editor = make_token(auth_app, Role.EDITOR, "default")
    assert auth_client.get("/").status_code == 302
    signed = auth_client.post("/dashboard/session", json={"token": editor})
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert auth_client.get("/").status_code == 200
    assert auth_client.get("/api/v1/studies").status_code == 200
    assert auth_client.post("/api/v1/studies", json=study_body()).status_code == 401
    wrong = auth_client.post("/dashboard/session", json={"token": "hpo_wrong"})
    assert wrong.status_code == 401
    auth_client.delete("/dashboard/session")
    assert auth_client.get("/api/v1/studies").status_code == 401

"""Bad input never gets a 500: random bodies and paths get problem+json 4xx answers."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import study_body

URL = "/api/v1/studies/cancer-mlp"
ENDPOINTS = [
    ("post", "/api/v1/studies"),
    ("patch", URL),
    ("post", f"{URL}/suggestions"),
    ("post", f"{URL}/trials"),
    ("post", f"{URL}/trials/0/report"),
    ("post", f"{URL}/trials/0/fail"),
    ("post", f"{URL}/trials/0/heartbeat"),
    ("post", f"{URL}/trials/0/intermediate"),
]

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
known_keys = st.sampled_from(
    [
        "name",
        "space",
        "value",
        "count",
        "worker_id",
        "params",
        "state",
        "reason",
        "step",
        "strategy",
        "max_trials",
        "direction",
        "metadata",
        "lease_seconds",
    ]
)
bodies = st.dictionaries(known_keys | st.text(max_size=8), values, max_size=6) | values


def _check(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert json.loads(response.get_data(as_text=True))["detail"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(endpoint=st.sampled_from(ENDPOINTS), body=bodies)
def test_random_bodies_never_cause_a_500(
    client: FlaskClient, endpoint: tuple[str, str], body: Any
) -> None:
    if client.get(URL).status_code == 404:
        client.post("/api/v1/studies", json=study_body())
        client.post(f"{URL}/suggestions", json={})
    method, path = endpoint
    _check(getattr(client, method)(path, data=json.dumps(body), content_type="application/json"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=64), query=st.text(max_size=20))
def test_garbage_bytes_and_queries_never_cause_a_500(
    client: FlaskClient, raw: bytes, query: str
) -> None:
    if client.get(URL).status_code == 404:
        client.post("/api/v1/studies", json=study_body())
    _check(client.post(f"{URL}/suggestions", data=raw, content_type="application/json"))
    _check(client.get(f"{URL}/trials", query_string={"after": query, "state": query}))
    _check(client.get(f"/api/v1/studies/{query or 'x'}"))

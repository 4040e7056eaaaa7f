"""Each attack found by probing the service, now a 4xx problem+json with the same status on
SQLite and PostgreSQL and no half-created row (every test runs on both databases)."""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.conftest import study_body

URL = "/api/v1/studies/cancer-mlp"
PROBLEM = "application/problem+json"
PARAMS = {"learning_rate_init": 0.01, "hidden_layers": 2, "activation": "tanh"}


def problem(response: Any, status: int, fragment: str = "") -> dict[str, Any]:
    """The response is problem+json with this status, its detail mentioning ``fragment``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = json.loads(response.get_data(as_text=True))
    assert fragment in body["detail"], body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def raw_post(client: FlaskClient, path: str, text_body: str) -> Any:
    """POST a hand-written JSON text."""
    return client.post(path, data=text_body, content_type="application/json")


def no_studies(client: FlaskClient) -> None:
    """Nothing was half-created."""
    assert client.get("/api/v1/studies").get_json()["studies"] == []


def running_study(client: FlaskClient) -> None:
    """The example study with trial 0 running."""
    assert client.post("/api/v1/studies", json=study_body()).status_code == 201
    assert client.post(f"{URL}/suggestions", json={}).status_code == 200


def test_a_name_ending_in_a_newline_is_refused(client: FlaskClient) -> None:
    for name in ("abc\n", "abc\r\n", "\nabc", "a\nb"):
        problem(client.post("/api/v1/studies", json=study_body(name=name)), 422, "not allowed")
    space = [{"name": "lr\n", "type": "float", "low": 0.1, "high": 1.0}]
    problem(client.post("/api/v1/studies", json=study_body(space=space)), 422, "identifier-like")
    no_studies(client)


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64 + 1])
def test_negative_or_huge_seeds_are_refused(client: FlaskClient, seed: int) -> None:
    for body in (study_body(strategy={"name": "random", "seed": seed}), study_body(seed=seed)):
        answer = raw_post(client, "/api/v1/studies", json.dumps(body))
        problem(answer, 422)
    no_studies(client)


def test_the_largest_seed_still_suggests(client: FlaskClient) -> None:
    body = study_body(strategy={"name": "random", "seed": 2**63 - 1})
    assert client.post("/api/v1/studies", json=body).status_code == 201
    assert client.post(f"{URL}/suggestions", json={}).status_code == 200


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_anywhere_are_refused(client: FlaskClient, constant: str) -> None:
    running_study(client)
    report = f'{{"value": 0.5, "metadata": {{"loss": {constant}}}}}'
    problem(raw_post(client, f"{URL}/trials/0/report", report), 422, "finite")
    queued = f'{{"params": {json.dumps(PARAMS)}, "metadata": {{"x": [{constant}]}}}}'
    problem(raw_post(client, f"{URL}/trials", queued), 422, "finite")
    listing = client.get(f"{URL}/trials")
    json.loads(listing.get_data(as_text=True), parse_constant=pytest.fail)  # valid JSON
    assert [t["state"] for t in listing.get_json()["trials"]] == ["running"]
    assert client.get(f"{URL}/export").status_code == 200


@pytest.mark.parametrize("constant", ["NaN", "-Infinity", "1e999"])
def test_a_non_finite_number_is_an_invalid_value_only_where_values_are_reported(
    client: FlaskClient, constant: str
) -> None:
    space = [{"name": "x", "type": "float", "low": 0, "high": 1}]
    text_body = json.dumps(study_body(space=space)).replace('"high": 1', f'"high": {constant}')
    refused = problem(raw_post(client, "/api/v1/studies", text_body), 422, "must be finite")
    assert refused["code"] == "invalid-request"
    assert "fail" not in refused["detail"]  # the hint for diverged trials does not apply
    no_studies(client)
    running_study(client)
    value = problem(raw_post(client, f"{URL}/trials/0/report", f'{{"value": {constant}}}'), 422)
    assert value["code"] == "invalid-value"
    assert "report it as failed" in value["detail"]


def test_deep_nesting_is_a_400_not_a_recursion_crash(client: FlaskClient) -> None:
    problem(raw_post(client, "/api/v1/studies", "[" * 100_000), 400, "nested too deeply")
    problem(raw_post(client, "/api/v1/studies", '{"a":' * 50_000 + "1" + "}" * 50_000), 400)
    running_study(client)
    deep: Any = 1
    for _ in range(40):
        deep = [deep]
    deep = {"metadata": {"a": deep}}
    problem(client.post(f"{URL}/trials/0/report", json={"value": 1, **deep}), 400, "nested")
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64, 10**30])
def test_out_of_range_trial_numbers_are_404(client: FlaskClient, number: int) -> None:
    running_study(client)
    problem(client.get(f"{URL}/trials/{number}"), 404, f"no trial {number}")
    problem(client.post(f"{URL}/trials/{number}/report", json={"value": 1}), 404)
    problem(client.post(f"{URL}/trials/{number}/heartbeat", json={}), 404)


@pytest.mark.parametrize("big", [2**31, 2**63, 2**70])
def test_out_of_range_integers_in_bodies_and_queries_are_422(client: FlaskClient, big: int) -> None:
    running_study(client)
    step = f'{{"step": {big}, "value": 0.5}}'
    problem(raw_post(client, f"{URL}/trials/0/intermediate", step), 422)
    problem(client.get(f"{URL}/trials?after={big * 2}"), 422, "after")
    problem(client.get(f"{URL}/trials?changed_since={2**62 + big}"), 422, "changed_since")
    assert client.get(f"{URL}/trials/0").get_json()["intermediate_values"] == []


@pytest.mark.parametrize(
    "param",
    [
        {"name": "x", "type": "float", "low": -1e308, "high": 1e308},
        {"name": "x", "type": "int", "low": -(2**62), "high": 2**62},
        {"name": "x", "type": "int", "low": 0, "high": 2**53 + 1},
    ],
)
def test_ranges_too_wide_to_sample_are_refused_at_creation(
    client: FlaskClient, param: dict[str, Any]
) -> None:
    answer = client.post("/api/v1/studies", json=study_body(space=[param]))
    problem(answer, 422, "parameter 'x'")
    no_studies(client)


def test_nul_characters_get_the_same_answer_on_every_backend(client: FlaskClient) -> None:
    for body in (
        study_body(name="a\x00b"),
        study_body(description="x\x00"),
        study_body(metric="m\x00"),
        study_body(space=[{"name": "c", "type": "categorical", "choices": ["a\x00"]}]),
    ):
        problem(client.post("/api/v1/studies", json=body), 422)
    no_studies(client)
    running_study(client)
    problem(client.post(f"{URL}/trials/0/fail", json={"reason": "oom\x00"}), 422, "NUL")
    problem(client.post(f"{URL}/trials/0/report", json={"value": 1, "metadata": {"k\x00": 1}}), 422)
    problem(client.post(f"{URL}/trials/0/report", json={"value": 1, "worker_id": "w\x00"}), 422)
    problem(raw_post(client, f"{URL}/trials/0/fail", '{"reason": "\\ud800"}'), 422, "surrogate")
    problem(client.get("/api/v1/studies/cancer%00mlp"), 404)
    assert client.get(f"{URL}/trials/0").get_json()["state"] == "running"


def test_csv_export_defuses_spreadsheet_formulas(client: FlaskClient) -> None:
    choices = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "plain"]
    space = [{"name": "c", "type": "categorical", "choices": choices}]
    assert client.post("/api/v1/studies", json=study_body(space=space)).status_code == 201
    for choice in choices:
        client.post(f"{URL}/trials", json={"params": {"c": choice}, "value": -1.5})
    client.post(f"{URL}/suggestions", json={"worker_id": "=cmd|' /C calc'!A0"})
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"{URL}/export?format=csv").get_data(as_text=True)))
    )
    assert [r["params.c"] for r in rows[:5]] == ["'" + c if c != "plain" else c for c in choices]
    assert rows[0]["value"] == "-1.5"  # numbers stay numbers
    assert all(not r["worker_id"].startswith("=") for r in rows)


def test_writes_must_be_json(client: FlaskClient) -> None:
    body = json.dumps(study_body())
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        None,
    ):
        answer = client.post("/api/v1/studies", data=body, content_type=content_type)
        problem(answer, 415, "application/json")
    problem(client.post("/api/v1/studies", data={"name": "x"}), 415)
    no_studies(client)
    running_study(client)
    problem(client.post(f"{URL}/trials/0/fail", data="", content_type="text/plain"), 415)
    problem(client.patch(URL, data='{"state": "paused"}', content_type="text/plain"), 415)
    assert client.get(URL).get_json()["state"] == "running"


def test_the_host_header_must_be_a_configured_name(client: FlaskClient) -> None:
    for host in ("evil.example", "attacker.test:8000", "127.0.0.1.nip.io"):
        problem(client.get("/api/v1/studies", headers={"Host": host}), 400, "allowed-host")
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
        assert client.get("/api/v1/studies", headers={"Host": host}).status_code == 200


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    running_study(client)
    for path in ("/api/v1/studies", URL, "/nope", "/", "/studies/cancer-mlp", "/healthz"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_405_carries_allow(client: FlaskClient) -> None:
    answer = client.put("/api/v1/studies", json={})
    problem(answer, 405)
    assert set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert "DELETE" in client.post(URL, json={}).headers["Allow"]


def test_database_errors_never_reach_the_client(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    from hpo_service.errors import HpoError

    database = app.extensions["hpo_service"].database
    with pytest.raises(HpoError) as caught, database.transaction() as session:
        session.execute(text("SELECT secret_column FROM no_such_table"))
    assert "no_such_table" not in caught.value.message
    assert "no_such_table" in (caught.value.log_detail or "")
    with caplog.at_level(logging.WARNING):
        answer = client.post("/api/v1/studies", json=study_body())
    assert answer.status_code == 201

"""Learning curves are read as plain (step, value) tuples, apart from their trial's row.

Loaded with the row as ORM objects, a report at epoch k built k row objects (and, joined,
decoded the trial's JSON columns k times), so each report cost O(k) and a trial O(k^2).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from hpo_service.persistence import repository
from hpo_service.persistence.models import IntermediateValueRow
from tests.conftest import study_body
from tests.service.test_reads import statements

URL = "/api/v1/studies/cancer-mlp"
CURVE_READ = "SELECT INTERMEDIATE_VALUES.TRIAL_ID, INTERMEDIATE_VALUES.STEP"


def _running(client: FlaskClient) -> int:
    assert client.post("/api/v1/studies", json=study_body()).status_code == 201
    answer = client.post(f"{URL}/suggestions", json={"worker_id": "w"})
    number: int = answer.get_json()["trials"][0]["number"]
    return number


def _report(client: FlaskClient, number: int, step: int, value: float) -> dict[str, Any]:
    body = {"step": step, "value": value, "worker_id": "w"}
    answer = client.post(f"{URL}/trials/{number}/intermediate", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    reply: dict[str, Any] = answer.get_json()
    return reply


def test_a_report_at_epoch_k_builds_no_row_objects_for_the_curve(
    app: Flask, client: FlaskClient
) -> None:
    number = _running(client)
    for step in range(60):
        _report(client, number, step, 0.5 + step / 1000)
    built: list[object] = []

    def loaded(session: Session, instance: object) -> None:
        if isinstance(instance, IntermediateValueRow):
            built.append(instance)

    event.listen(Session, "loaded_as_persistent", loaded)
    try:
        reply = _report(client, number, 60, 0.6)
        listing = client.get(f"{URL}/trials").get_json()["trials"]
        export = client.get(f"{URL}/export?format=json")
    finally:
        event.remove(Session, "loaded_as_persistent", loaded)
    assert built == []  # 61 points, none of them loaded as an ORM object
    curve = reply["intermediate_values"]
    assert [p["step"] for p in curve] == list(range(61))
    assert curve[0]["value"] == 0.5 and curve[-1]["value"] == 0.6
    assert listing[0]["intermediate_values"] == curve
    assert export.status_code == 200


def test_each_trial_gets_its_own_curve_in_one_query_per_page(
    app: Flask, client: FlaskClient
) -> None:
    first = _running(client)
    second = client.post(f"{URL}/suggestions", json={"worker_id": "v"}).get_json()["trials"][0]
    for step in range(3):
        _report(client, first, step, float(step))
    client.post(
        f"{URL}/trials/{second['number']}/intermediate",
        json={"step": 7, "value": 9.0, "worker_id": "v"},
    )
    with statements(app) as seen:
        trials = client.get(f"{URL}/trials").get_json()["trials"]
    curves = {
        t["number"]: [(p["step"], p["value"]) for p in t["intermediate_values"]] for t in trials
    }
    assert curves == {first: [(0, 0.0), (1, 1.0), (2, 2.0)], second["number"]: [(7, 9.0)]}
    assert sum(s.startswith(CURVE_READ) for s in seen) == 1


def test_a_trial_with_a_curve_reads_it_before_the_study_lock(
    app: Flask, client: FlaskClient
) -> None:
    number = _running(client)
    _report(client, number, 0, 0.25)
    with statements(app) as seen:
        answer = client.post(
            f"{URL}/trials/{number}/report", json={"value": 0.5, "worker_id": "w", "next": 1}
        )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["intermediate_values"] == [{"step": 0, "value": 0.25}]
    sent = [s for s in seen if s.startswith(("SELECT", "UPDATE", "INSERT"))]
    lock = next(i for i, s in enumerate(sent) if "FROM STUDIES" in s and "JOIN" not in s)
    curve_reads = [i for i, s in enumerate(sent) if s.startswith(CURVE_READ)]
    assert curve_reads == [lock - 1]  # one statement for the curve, before the lock


def test_curves_of_many_trials_are_read_in_batches(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "CURVE_BATCH", 2)  # 5 trials: three queries
    assert client.post("/api/v1/studies", json=study_body()).status_code == 201
    for number in range(5):
        client.post(f"{URL}/suggestions", json={"worker_id": f"w{number}"})
        body = {"step": number, "value": float(number), "worker_id": f"w{number}"}
        client.post(f"{URL}/trials/{number}/intermediate", json=body)
    with statements(app) as seen:
        exported = client.get(f"{URL}/export?format=json").get_json()
    trials = exported["trials"] if isinstance(exported, dict) else exported
    curves = {t["number"]: t["intermediate_values"] for t in trials}
    assert curves == {n: [{"step": n, "value": float(n)}] for n in range(5)}
    assert sum(s.startswith(CURVE_READ) for s in seen) == 3

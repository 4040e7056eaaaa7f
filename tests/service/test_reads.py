"""Reads never write: expired leases read as stale; the studies list costs the same queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from tests.conftest import FakeClock, study_body

URL = "/api/v1/studies/cancer-mlp"
WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    engine = app.extensions["hpo_service"].database.engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _stored_state(app: Flask, number: int) -> tuple[str, int]:
    engine = app.extensions["hpo_service"].database.engine
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT state, retries FROM trials WHERE number = :n"), {"n": number}
        ).one()
    return str(row[0]), int(row[1])


def test_an_expired_lease_reads_as_stale_without_a_write(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    client.post("/api/v1/studies", json=study_body(lease_seconds=10))
    (trial,) = client.post(f"{URL}/suggestions", json={"worker_id": "w"}).get_json()["trials"]
    clock.advance(11)
    with statements(app) as seen:
        one = client.get(f"{URL}/trials/{trial['number']}").get_json()
        study = client.get(URL).get_json()
        listed = client.get("/api/v1/studies").get_json()["studies"]
        stale = client.get(f"{URL}/trials?state=stale").get_json()["trials"]
        running = client.get(f"{URL}/trials?state=running").get_json()["trials"]
    assert one["state"] == "stale"
    assert study["trial_counts"]["stale"] == 1 and study["trial_counts"]["running"] == 0
    assert listed[0]["trial_counts"]["stale"] == 1
    assert [t["number"] for t in stale] == [trial["number"]] and running == []
    assert seen and not [s for s in seen if s.startswith(WRITES)]
    assert _stored_state(app, trial["number"]) == ("running", 0)  # the row is unchanged
    # The next write path persists the transition: the stale trial is offered again.
    again = client.post(f"{URL}/suggestions", json={"worker_id": "w2"}).get_json()["trials"]
    assert [t["number"] for t in again] == [trial["number"]]
    assert _stored_state(app, trial["number"]) == ("running", 1)


def _make_studies(client: FlaskClient, first: int, count: int) -> None:
    for index in range(first, first + count):
        direction = "maximize" if index % 2 else "minimize"
        name = f"s{index}"
        client.post("/api/v1/studies", json=study_body(name=name, direction=direction))
        for value in (0.3, 0.9, 0.1):
            (trial,) = client.post(f"/api/v1/studies/{name}/suggestions", json={}).get_json()[
                "trials"
            ]
            client.post(
                f"/api/v1/studies/{name}/trials/{trial['number']}/report", json={"value": value}
            )


def _prune(client: FlaskClient, name: str, value: float) -> None:
    (trial,) = client.post(f"/api/v1/studies/{name}/suggestions", json={}).get_json()["trials"]
    path = f"/api/v1/studies/{name}/trials/{trial['number']}"
    client.post(f"{path}/intermediate", json={"step": 0, "value": value})
    assert client.post(f"{path}/prune", json={}).status_code == 200


def test_the_studies_list_costs_the_same_queries_for_two_or_six_studies(
    app: Flask, client: FlaskClient
) -> None:
    _make_studies(client, 0, 2)
    _prune(client, "s0", -5.0)  # better than every complete trial, but complete ones win
    with statements(app) as few:
        client.get("/api/v1/studies")
    _make_studies(client, 2, 4)
    with statements(app) as many:
        listed = client.get("/api/v1/studies").get_json()["studies"]
    client.post("/api/v1/studies", json=study_body(name="only-pruned", direction="minimize"))
    _prune(client, "only-pruned", 2.5)
    with statements(app) as many:
        listed = client.get("/api/v1/studies").get_json()["studies"]
    assert len(listed) == 7
    assert len(many) == len(few)  # no query per study
    (pruned,) = [study for study in listed if study["name"] == "only-pruned"]
    assert pruned["best_value"] == 2.5  # a pruned trial when nothing completed
    listed.remove(pruned)
    for study in listed:
        best = client.get(f"/api/v1/studies/{study['name']}/best").get_json()
        assert (study["best_trial"], study["best_value"]) == (best["number"], best["value"])
        assert study["best_value"] == (0.9 if study["direction"] == "maximize" else 0.1)

"""What runs while a study is locked: every statement there serialises the study's writers.

A report with ``"next": 1`` is the busiest request of a fleet: it reads the reported trial
before the lock, then under the lock takes the study (whose ``rescan_at`` says whether a
trial may be waiting) and sends one flush (the study's counters, the report, checked
against the trial's version as read, and the new trial). The shortcut that
skips the waiting-trials query must never hide a trial that is waiting, including one that
the transaction the lock waited for made waiting.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from hpo_service.domain import TrialState
from hpo_service.persistence import Database, Repository
from hpo_service.service import trials
from tests.conftest import FakeClock, study_body
from tests.service.test_reads import statements

URL = "/api/v1/studies/cancer-mlp"


def _suggest(client: FlaskClient, worker: str) -> dict[str, object]:
    answer = client.post(f"{URL}/suggestions", json={"worker_id": worker})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    trial: dict[str, object] = answer.get_json()["trials"][0]
    return trial


def _report_next(client: FlaskClient, number: object, worker: str) -> list[dict[str, object]]:
    body = {"value": 0.5, "worker_id": worker, "next": 1}
    answer = client.post(f"{URL}/trials/{number}/report", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    handed: list[dict[str, object]] = answer.get_json()["next"]
    return handed


def test_report_and_next_sends_five_statements(app: Flask, client: FlaskClient) -> None:
    client.post("/api/v1/studies", json=study_body())
    trial = _suggest(client, "w")
    with statements(app) as seen:
        handed = _report_next(client, trial["number"], "w")
    assert [t["number"] for t in handed] == [1]
    sqlite = app.extensions["hpo_service"].database.dialect == "sqlite"
    assert seen[0] == ("BEGIN IMMEDIATE" if sqlite else "BEGIN")  # no ping before it
    sent = [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    kinds = [" ".join(s.split()[:3]) for s in sent]
    assert len(sent) == 5, kinds
    assert sent[0].startswith("SELECT") and "FROM TRIALS JOIN STUDIES" in sent[0]  # early
    assert sent[1].startswith("SELECT") and "FROM STUDIES" in sent[1]  # the lock
    if app.extensions["hpo_service"].database.dialect == "postgresql":
        assert "FOR UPDATE" in sent[1] and "FOR UPDATE" not in sent[0]
    assert sum(s.startswith("UPDATE STUDIES") for s in sent) == 1, kinds
    assert sum(s.startswith("UPDATE TRIALS") for s in sent) == 1, kinds
    assert sum(s.startswith("INSERT INTO TRIALS") for s in sent) == 1, kinds


def test_a_lease_that_ran_out_is_offered_again_by_report_and_next(
    client: FlaskClient, clock: FakeClock
) -> None:
    client.post("/api/v1/studies", json=study_body(lease_seconds=10))
    lost = _suggest(client, "a")
    clock.advance(5)
    mine = _suggest(client, "b")
    clock.advance(6)  # a's lease ran out, b's did not
    handed = _report_next(client, mine["number"], "b")
    assert [(t["number"], t["retries"]) for t in handed] == [(lost["number"], 1)]
    # and one queued by a worker that gave it back
    queued = _suggest(client, "c")
    released = client.post(f"{URL}/trials/{queued['number']}/release", json={"worker_id": "c"})
    assert released.status_code == 200, released.get_data(as_text=True)
    handed = _report_next(client, lost["number"], "b")
    assert [t["number"] for t in handed] == [queued["number"]]


def test_a_trial_queued_after_the_lock_is_still_waiting(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    """The lock saw nothing waiting; a trial this transaction queues afterwards is found."""
    client.post("/api/v1/studies", json=study_body())
    trial = _suggest(client, "w")
    database = app.extensions["hpo_service"].database
    with database.transaction(write=True) as session:
        repo = Repository(session, "default", clock())
        repo.lock_study("cancer-mlp")
        assert repo.waiting("cancer-mlp", clock()) == []
        running = repo.get_trial("cancer-mlp", int(str(trial["number"])))
        queued = replace(running, state=TrialState.PENDING, worker_id=None)
        repo.save_trial(queued, clock())
        found = repo.waiting("cancer-mlp", clock())
        assert [(t.number, t.state) for t in found] == [(trial["number"], TrialState.PENDING)]
        session.rollback()


def _blocked_on_a_lock(database: Database) -> None:
    """Return once another transaction waits for a row lock (PostgreSQL); on SQLite a
    writer waits for the whole write transaction, so a short pause lets it start."""
    if database.engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return
    probe = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    probe += "AND wait_event_type = 'Lock'"
    deadline = time.monotonic() + 10
    with database.engine.connect() as connection:
        while connection.exec_driver_sql(probe).scalar_one() == 0:
            assert time.monotonic() < deadline, "the second transaction never waited"
            time.sleep(0.02)
            connection.rollback()  # a fresh snapshot of pg_stat_activity


def test_a_trial_queued_by_the_lock_holder_is_found_by_the_next_in_line(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    """The holder of the study lock queues a trial and commits while another request waits
    for the lock: the waiting request must see that trial (on PostgreSQL, what the lock
    statement reads besides the locked row is as it was before the wait)."""
    client.post("/api/v1/studies", json=study_body())
    trial = _suggest(client, "w")
    number = int(str(trial["number"]))
    database: Database = app.extensions["hpo_service"].database
    seen: dict[str, list[tuple[int, TrialState]]] = {}

    def next_in_line() -> None:
        with database.transaction(write=True) as session:
            repo = Repository(session, "default", clock())
            repo.lock_study("cancer-mlp")
            waiting = repo.waiting("cancer-mlp", clock())
            seen["waiting"] = [(t.number, t.state) for t in waiting]

    with database.transaction(write=True) as session:
        repo = Repository(session, "default", clock())
        repo.lock_study("cancer-mlp")
        waiter = threading.Thread(target=next_in_line)
        waiter.start()
        _blocked_on_a_lock(database)
        running = repo.get_trial("cancer-mlp", number)
        repo.save_trial(replace(running, state=TrialState.PENDING, worker_id=None), clock())
    waiter.join(timeout=30)
    assert seen["waiting"] == [(number, TrialState.PENDING)]


def test_nothing_waiting_costs_no_query_until_a_lease_can_run_out(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    """While every trial runs on a live lease the waiting-trials query is skipped; once the
    first lease may have run out it runs (and finds it)."""
    client.post("/api/v1/studies", json=study_body(lease_seconds=10))
    first = _suggest(client, "a")
    clock.advance(5)
    with statements(app) as seen:
        _suggest(client, "b")
    assert not any("FROM TRIALS" in s and "LEASE_EXPIRES_AT <" in s for s in seen), seen
    clock.advance(6)  # a's lease ran out
    assert [t["number"] for t in _report_next(client, 1, "b")] == [first["number"]]


@pytest.mark.parametrize(("strategy", "next_trials"), [("random", 0), ("random", 1), ("gp", 1)])
def test_a_trial_changed_while_its_report_waited_for_the_lock_is_read_again(
    app: Flask, client: FlaskClient, clock: FakeClock, strategy: str, next_trials: int
) -> None:
    """A report reads its trial before the study lock (on PostgreSQL). Here the lock holder
    reports the same trial (0.9, not yet committed) while the report (0.5) reads it and
    waits for the lock: the waiting report's update must match no row, and the
    transaction is redone with the trial read under the lock, which then answers as a
    report of a complete trial does (a different value: a conflict). Alone, with the next
    trial in the same transaction (random) or after it (gp). On SQLite the write
    transaction waits before it reads anything, so it sees the 0.9 at once."""
    client.post("/api/v1/studies", json=study_body(strategy={"name": strategy, "seed": 0}))
    number = int(str(_suggest(client, "w")["number"]))
    database: Database = app.extensions["hpo_service"].database
    locks: list[str] = []
    answers: list[tuple[int, str]] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        said = " ".join(statement.split()).upper()
        if threading.current_thread() is waiter and said.startswith("SELECT STUDIES.ID"):
            locks.append(said)  # the study, read to be locked

    def report() -> None:
        with app.test_client() as own:
            body = {"value": 0.5, "next": next_trials}
            answer = own.post(f"{URL}/trials/{number}/report", json=body)
            answers.append((answer.status_code, answer.get_data(as_text=True)))

    waiter = threading.Thread(target=report)
    event.listen(database.engine, "before_cursor_execute", record)
    try:
        with database.transaction(write=True) as session:
            repo = Repository(session, "default", clock())
            ending = trials.reporting(0.9, None, None, None)
            trials.end_in(repo, "cancer-mlp", number, ending, clock)
            waiter.start()
            _blocked_on_a_lock(database)
        waiter.join(timeout=30)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    stored = client.get(f"{URL}/trials/{number}").get_json()
    assert stored["state"] == "complete" and stored["value"] == 0.9, stored
    assert [status for status, _ in answers] == [409], answers
    # PostgreSQL: the lock after the stale early read, then the redo's lock
    assert len(locks) == (2 if database.dialect == "postgresql" else 1), locks

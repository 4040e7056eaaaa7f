"""Trials finish in the order their reports commit, even when a report waits for the lock.

The GP keeps its history in finishing order and fits shared base models on its prefixes
(gp/shared.py); a trial stamped with a time read before it waited for the study lock landed
inside a prefix already fitted, and every process rebuilt that base model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from hpo_service.persistence import Database, Repository
from hpo_service.service import Service, trials
from hpo_service.service.suggestions import in_finishing_order
from tests.conftest import FakeClock, _empty_postgres

PROJECT = "default"
SPACE = [{"name": "x", "type": "float", "low": 0, "high": 1}]


@pytest.fixture
def service(postgres_url: str, clock: FakeClock) -> Iterator[Service]:
    _empty_postgres(postgres_url)
    database = Database(postgres_url)
    try:
        yield Service(database, clock)
    finally:
        database.dispose()
        _empty_postgres(postgres_url)


def _waiting_for_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def _report_and_next(service: Service, number: int, value: float) -> None:
    report = {"value": value, "worker_id": "w1"}
    service.report_then_suggest(PROJECT, "s", number, report, 1)


@pytest.mark.parametrize(
    "reporting",
    [
        lambda service: service.report(PROJECT, "s", 0, 0.25, worker_id="w1"),
        lambda service: _report_and_next(service, 0, 0.25),
        lambda service: service.add_trial(PROJECT, "s", {"x": 0.5}, 0.25),
    ],
    ids=["report", "report+next", "add evaluated trial"],
)
def test_a_trial_that_waited_for_the_study_lock_finishes_after_the_one_that_held_it(
    service: Service, clock: FakeClock, postgres_url: str, reporting: object
) -> None:
    spec = {"name": "s", "space": SPACE, "strategy": {"name": "gp", "seed": 0}}
    service.create_study(PROJECT, spec)
    service.suggest(PROJECT, "s", "w1", 2)
    errors: list[BaseException] = []

    def waiting_report() -> None:
        try:
            reporting(service)  # type: ignore[operator]
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    with service.database.transaction(write=True) as session:
        repo = Repository(session, PROJECT, clock())
        repo.lock_study("s")
        waiter = threading.Thread(target=waiting_report)
        waiter.start()  # it reads the clock, then waits for the study lock
        deadline = time.monotonic() + 30
        while not _waiting_for_a_lock(postgres_url):
            assert time.monotonic() < deadline, "the report never waited for the study lock"
            time.sleep(0.02)
        clock.advance(5)
        end = trials.reporting(0.75, None, "w1", None)
        holder = trials.end_in(repo, "s", 1, end, clock)  # commits first, at +5 s
        clock.advance(5)  # before the commit lets the waiting request through
    waiter.join(30)
    assert not errors, errors
    listed = service.list_trials(PROJECT, "s").trials
    finished = {t.number: t.finished_at for t in listed if t.finished_at is not None}
    assert holder.finished_at is not None
    waited = max(n for n in finished if n != 1)
    assert finished[waited] > holder.finished_at
    assert [t.number for t in in_finishing_order(listed)] == [1, waited]

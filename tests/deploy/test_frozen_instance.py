"""A service instance frozen while it holds a study's lock does not stall the others.

A paused VM or a network partition sends no connection reset: PostgreSQL keeps the frozen
instance's session, and the study row it locked, until its idle-in-transaction timeout ends
the session (``database.IDLE_IN_TRANSACTION_TIMEOUT``, 60 s by default; 2 s here, through the
URL, which the service keeps). Two real ``hpo serve`` instances on one database; a client
thread suggests and reports through instance A, which is stopped (SIGSTOP) at a moment its
session is idle inside a write transaction. Instance B must then serve the same study while
A is still frozen; once A resumes, its interrupted request is answered with the documented
503 and retried, and nothing acknowledged is lost.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from hpo_service.client import Client
from hpo_service.domain import TrialState
from hpo_service.persistence.database import IDLE_IN_TRANSACTION_TIMEOUT, Database
from hpo_service.persistence.migrate import upgrade
from tests.client.conftest import SPACE
from tests.conftest import temporary_postgres
from tests.members import member
from tests.servers import ServerProcess, freeze_holding_a_lock, holding_a_write_transaction

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
TIMEOUT_MS = 2000
SHORT = f"?options=-c%20idle_in_transaction_session_timeout%3D{TIMEOUT_MS}"


@pytest.mark.postgres
def test_the_service_sets_its_timeout_unless_one_is_configured() -> None:
    with temporary_postgres("hpo_idle") as url:
        for suffix, expected in (("", IDLE_IN_TRANSACTION_TIMEOUT), (SHORT, "2s")):
            database = Database(url + suffix)
            try:
                with database.engine.connect() as connection:
                    shown = connection.exec_driver_sql("SHOW idle_in_transaction_session_timeout")
                    assert shown.scalar() == {"60s": "1min"}.get(expected, expected)
            finally:
                database.dispose()


def _member(
    url: str, stop: threading.Event, reports: list[tuple[int, float]], errors: list[str]
) -> None:
    with Client(url, retries=40, backoff=0.05, max_backoff=0.5, timeout=60) as client:
        member(client, "frozen", "a", reports, errors, stop)


def test_an_instance_frozen_inside_a_transaction_does_not_stall_the_study(
    tmp_path: Path,
) -> None:
    reports: list[tuple[int, float]] = []
    errors: list[str] = []
    stop = threading.Event()
    with temporary_postgres("hpo_frozen") as base:
        upgrade(base)
        url_a = f"{base}{SHORT}&application_name=hpo-a"
        a = ServerProcess(url_a, log_path=tmp_path / "a.log").start()
        b = ServerProcess(base + SHORT, log_path=tmp_path / "b.log").start()
        assert a.process is not None
        loop = threading.Thread(target=_member, args=(a.url, stop, reports, errors))
        try:
            with Client(b.url, retries=0, timeout=60) as admin:
                admin.create_study("frozen", SPACE, strategy={"name": "random"}, seed=1)
                loop.start()
                while len(reports) < 20:
                    time.sleep(0.01)
                freeze_holding_a_lock(a.process.pid, url_a, "hpo-a")
                began = time.monotonic()
                (served,) = admin.study("frozen").suggest(worker_id="b")  # A is still frozen
                waited = time.monotonic() - began
                assert not holding_a_write_transaction(url_a, "hpo-a")  # its session ended
                admin.study("frozen").report(served.number, 1.0, worker_id="b")
                os.killpg(a.process.pid, signal.SIGCONT)
                count = len(reports)
                while len(reports) < count + 20 and loop.is_alive():
                    time.sleep(0.01)  # A serves again after its session was ended
                stop.set()
                loop.join(120)
                trials = list(admin.study("frozen").trials())
        finally:
            stop.set()
            os.killpg(a.process.pid, signal.SIGCONT)
            a.stop(kill=True)
            b.stop(kill=True)
    assert waited >= TIMEOUT_MS / 1000 * 0.5  # B did wait for the frozen holder's lock
    assert errors == []
    assert not loop.is_alive()
    numbers = [t.number for t in trials]
    assert numbers == list(range(len(trials)))  # no duplicate, no gap
    stored = {t.number: t for t in trials}
    assert all(stored[n].value == v for n, v in reports)  # every acknowledged report kept
    assert stored[served.number].value == 1.0 and stored[served.number].state is TrialState.COMPLETE
    a_log = (tmp_path / "a.log").read_text()
    # A, resumed, finds its session ended (the driver reports the server's timeout, or a
    # closed connection if it writes first): the documented 503, which the client retries
    assert "-> 503 storage-unavailable: " in a_log
    assert "Traceback" not in a_log  # a documented answer, not an unexpected error

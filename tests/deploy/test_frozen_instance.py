"""A service instance frozen while it holds a study's lock does not stall the others.

A paused VM or a network partition sends no connection reset: PostgreSQL keeps the frozen
instance's session, and the study row it locked, until its idle-in-transaction timeout ends
the session; its other requests, queued for the same lock when it froze, give up at the
shorter lock timeout, so that the lock goes to a live instance and not to another frozen
session (``database.SESSION_LIMITS``: 30 s and 10 s by default; 3 s and 1 s here, through
the URL, which the service keeps). Two real ``hpo serve`` instances on one database;
instance A, with four client threads, is stopped (SIGSTOP) at a moment one of its sessions
holds the study's lock while another waits for it. Instance B must then serve the same study
while A is still frozen, no other session of A may get the lock, and once A resumes its
interrupted requests are answered with the documented 503 and retried: nothing acknowledged
is lost.
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
from hpo_service.persistence.database import SESSION_LIMITS, Database
from hpo_service.persistence.migrate import upgrade
from tests.client.conftest import SPACE
from tests.conftest import temporary_postgres
from tests.members import member
from tests.servers import ServerProcess, freeze_holding_a_lock, sessions

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
IDLE_S, LOCK_S = 3, 1
SHORT = (
    f"?options=-c%20idle_in_transaction_session_timeout%3D{IDLE_S * 1000}"
    f"%20-c%20lock_timeout%3D{LOCK_S * 1000}"
)


def test_the_service_sets_its_session_limits_unless_they_are_configured() -> None:
    # the design rests on this: a frozen instance's queued requests give up before its
    # lock holder's session is ended, so the lock never passes to another frozen session
    idle, lock = (
        SESSION_LIMITS[k] for k in ("idle_in_transaction_session_timeout", "lock_timeout")
    )
    assert lock < idle
    shown = "SELECT current_setting('idle_in_transaction_session_timeout'), " + (
        "current_setting('lock_timeout')"
    )
    with temporary_postgres("hpo_limits") as url:
        for suffix, expected in (
            ("", (f"{idle}s", f"{lock}s")),
            (SHORT, (f"{IDLE_S}s", f"{LOCK_S}s")),
        ):
            database = Database(url + suffix)
            try:
                with database.engine.connect() as connection:
                    assert tuple(connection.exec_driver_sql(shown).one()) == expected
            finally:
                database.dispose()


def _member(
    url: str,
    worker: str,
    stop: threading.Event,
    reports: list[tuple[int, float]],
    errors: list[str],
) -> None:
    with Client(url, retries=40, backoff=0.05, max_backoff=0.5, timeout=60) as client:
        member(client, "frozen", worker, reports, errors, stop)


def _watch(url: str, name: str, holders: set[int], done: threading.Event) -> None:
    """Every session of ``name`` seen holding a study's lock, until ``done``."""
    while not done.is_set():
        holders |= sessions(url, name)[0]
        time.sleep(0.05)


def test_an_instance_frozen_inside_a_transaction_does_not_stall_the_study(
    tmp_path: Path,
) -> None:
    reports: list[tuple[int, float]] = []
    errors: list[str] = []
    stop, served_it = threading.Event(), threading.Event()
    holders: set[int] = set()
    with temporary_postgres("hpo_frozen") as base:
        upgrade(base)
        url_a = f"{base}{SHORT}&application_name=hpo-a"
        a = ServerProcess(url_a, log_path=tmp_path / "a.log").start()
        b = ServerProcess(base + SHORT, log_path=tmp_path / "b.log").start()
        assert a.process is not None
        loops = [
            threading.Thread(target=_member, args=(a.url, f"a{i}", stop, reports, errors))
            for i in range(4)
        ]
        watch = threading.Thread(target=_watch, args=(url_a, "hpo-a", holders, served_it))
        try:
            with Client(b.url, retries=40, backoff=0.05, max_backoff=0.5, timeout=60) as admin:
                admin.create_study("frozen", SPACE, strategy={"name": "random"}, seed=1)
                for loop in loops:
                    loop.start()
                while len(reports) < 20:
                    time.sleep(0.01)
                freeze_holding_a_lock(a.process.pid, url_a, "hpo-a", waiting=1)
                watch.start()
                began = time.monotonic()
                (served,) = admin.study("frozen").suggest(worker_id="b")  # A is still frozen
                waited = time.monotonic() - began
                served_it.set()
                watch.join()
                assert not sessions(url_a, "hpo-a")[0]  # A's lock holder was ended
                admin.study("frozen").report(served.number, 1.0, worker_id="b")
                os.killpg(a.process.pid, signal.SIGCONT)
                count = len(reports)
                while len(reports) < count + 20 and any(t.is_alive() for t in loops):
                    time.sleep(0.01)  # A serves again after its sessions were ended
                stop.set()
                for loop in loops:
                    loop.join(120)
                trials = list(admin.study("frozen").trials())
        finally:
            stop.set()
            served_it.set()
            os.killpg(a.process.pid, signal.SIGCONT)
            a.stop(kill=True)
            b.stop(kill=True)
    assert waited >= IDLE_S * 0.5  # B did wait for the frozen holder's lock
    assert len(holders) == 1, holders  # no queued session of the frozen A got the lock
    assert errors == []
    assert not any(t.is_alive() for t in loops)
    numbers = [t.number for t in trials]
    assert numbers == list(range(len(trials)))  # no duplicate, no gap
    stored = {t.number: t for t in trials}
    assert all(stored[n].value == v for n, v in reports)  # every acknowledged report kept
    assert stored[served.number].value == 1.0 and stored[served.number].state is TrialState.COMPLETE
    a_log = (tmp_path / "a.log").read_text()
    # A, resumed, finds its sessions ended or its lock waits given up: the documented 503
    # (the driver reports a closed connection or the server's reason), which is retried
    assert "-> 503 storage-unavailable: " in a_log
    assert "Traceback" not in a_log  # a documented answer, not an unexpected error

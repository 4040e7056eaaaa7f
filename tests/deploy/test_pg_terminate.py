"""Every service connection terminated inside PostgreSQL mid-workload: the service recovers.

A real `hpo serve --workers 2` (gunicorn: two processes, each with its own pool) on a real
PostgreSQL database; four client threads suggest and report until the study's budget is
done. Twice during the run every backend of that database is killed with
``pg_terminate_backend``. Requests caught in a transaction get the documented 503
(StorageUnavailable, rolled back) and the client retries them; a pooled connection found
dead at its transaction's ``BEGIN`` is replaced before anything runs (with every connection
pooled before it). Nothing acknowledged may be lost and no other 5xx appear.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from hpo_service.client import Client
from hpo_service.domain import TrialState
from hpo_service.persistence.migrate import upgrade
from tests.client.conftest import SPACE
from tests.conftest import temporary_postgres
from tests.members import member
from tests.servers import ServerProcess, terminate_every_backend

pytestmark = pytest.mark.slow
BUDGET = 80


class CountingTransport(httpx.HTTPTransport):
    """Counts the status of every answer the client received (thread-safe enough: Counter
    updates under the GIL are not atomic, so a lock guards them)."""

    def __init__(self, statuses: Counter[int], lock: threading.Lock) -> None:
        super().__init__()
        self.statuses = statuses
        self.lock = lock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Forward the request; count the answer's status."""
        response = super().handle_request(request)
        with self.lock:
            self.statuses[response.status_code] += 1
        return response


def _member(
    url: str,
    worker: str,
    transport: httpx.BaseTransport,
    reports: list[tuple[int, float]],
    errors: list[str],
) -> None:
    """Suggest and report until the study completes; keep every acknowledged report."""
    with Client(url, retries=40, backoff=0.05, max_backoff=0.5, transport=transport) as client:
        member(client, "terminated", worker, reports, errors, report_as_worker=False)


def test_terminated_connections_lose_nothing_and_answer_only_documented_503s(
    tmp_path: Path,
) -> None:
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    reports: list[tuple[int, float]] = []
    errors: list[str] = []
    with temporary_postgres("hpo_terminate") as url:
        upgrade(url)
        server = ServerProcess(url, workers=2, log_path=tmp_path / "server.log").start()
        try:
            with Client(server.url) as admin:
                admin.create_study("terminated", SPACE, strategy={"name": "random"},
                                   max_trials=BUDGET, seed=5, lease_seconds=2)  # fmt: skip
                threads = [
                    threading.Thread(
                        target=_member,
                        # one transport per client: a client closes its transport on exit,
                        # and a shared one would cut the sockets of the threads still running
                        args=(
                            server.url,
                            f"w{i}",
                            CountingTransport(statuses, lock),
                            reports,
                            errors,
                        ),
                    )
                    for i in range(4)
                ]
                for thread in threads:
                    thread.start()
                terminated = []
                for fraction in (4, 2):
                    while len(reports) < BUDGET // fraction and any(t.is_alive() for t in threads):
                        threading.Event().wait(0.02)
                    terminated.append(terminate_every_backend(url))
                for thread in threads:
                    thread.join(180)
                trials = list(admin.study("terminated").trials())
        finally:
            server.stop(kill=True)
    assert all(count > 0 for count in terminated)  # the fault hit live connections
    assert errors == []
    assert not any(t.is_alive() for t in threads)
    assert [t.number for t in trials] == list(range(BUDGET))  # no duplicate, no gap
    assert all(t.state is TrialState.COMPLETE for t in trials)
    stored = {t.number: t.value for t in trials}
    assert Counter(number for number, _ in reports) == Counter(range(BUDGET))
    assert all(stored[number] == value for number, value in reports)  # no lost report
    assert {s for s in statuses if s >= 500} <= {503}, statuses  # only the documented 503

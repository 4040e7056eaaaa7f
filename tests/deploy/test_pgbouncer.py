"""The service behind PgBouncer in transaction pooling mode (docs/deployment.md).

A real PgBouncer (Debian's 1.18, which does not track prepared statements) with 2 server
connections per database, so that every transaction may land on another server connection.
psycopg prepares a statement on the server once a connection has run it 5 times, and the
next transaction that runs it elsewhere fails: the database URL's ``prepare_threshold=none``
turns preparing off. The first test shows the failure is real here (so the second one
exercises the pooler, not a direct connection); the second runs a real ``hpo serve
--workers 2`` through the pooler, migrated through it by ``hpo db upgrade``, with four
client threads until the budget is used, and checks that nothing failed or was lost.

Under CI=true a missing ``pgbouncer`` binary is a failure (``.ci/run`` installs it).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from hpo_service.api import create_app
from hpo_service.client import Client
from hpo_service.domain import TrialState
from hpo_service.persistence.migrate import upgrade
from tests.client.conftest import SPACE
from tests.conftest import IN_CI, temporary_postgres
from tests.members import member
from tests.servers import ServerProcess, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
BUDGET = 60
NO_PREPARE = "prepare_threshold=none"


def _binary() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        message = "pgbouncer is not installed (apt-get install pgbouncer)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def pooled_url() -> Iterator[str]:
    """A new database reached through PgBouncer in transaction mode (2 server connections
    shared by every client): yields the pooled URL."""
    binary = _binary()
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="hpo-pgbouncer-"))
    command = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(workdir, "postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        "* = host=127.0.0.1 port=5432 user=postgres\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\ndefault_pool_size = 2\n"
        f"max_client_conn = 200\nlogfile = {workdir / 'pgbouncer.log'}\n"
    )
    (workdir / "pgbouncer.ini").chmod(0o644)
    process = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE)
    try:
        with temporary_postgres("hpo_pgbouncer") as direct:
            pooled = direct.replace(":5432/", f":{port}/")
            _wait_until_listening(pooled, process)
            yield pooled
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_listening(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {stderr}")
        try:
            psycopg.connect(url, connect_timeout=1).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    raise RuntimeError("pgbouncer did not start listening")


def _cycles(url: str, threads: int = 8, cycles: int = 30) -> Counter[int]:
    """Suggest + report cycles from threads on the app in-process; the answers' statuses."""
    app = create_app({"DATABASE_URL": url})
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    try:
        body = {"name": "s", "space": SPACE, "strategy": {"name": "random", "seed": 1}}
        assert app.test_client().post("/api/v1/studies", json=body).status_code == 201

        def work(worker: str) -> None:
            client = app.test_client()
            for _ in range(cycles):
                answer = client.post("/api/v1/studies/s/suggestions", json={"worker_id": worker})
                with lock:
                    statuses[answer.status_code] += 1
                if answer.status_code != 200:
                    continue
                number = answer.json["trials"][0]["number"]
                report = {"value": 0.5, "worker_id": worker}
                answer = client.post(f"/api/v1/studies/s/trials/{number}/report", json=report)
                with lock:
                    statuses[answer.status_code] += 1

        pool = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(120)
    finally:
        app.extensions["hpo_service"].database.dispose()
    return statuses


def test_prepared_statements_break_behind_transaction_pooling(
    pooled_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade(pooled_url + "?" + NO_PREPARE)
    with caplog.at_level(logging.INFO):
        statuses = _cycles(pooled_url)
    assert statuses[503] > 0, statuses  # psycopg's default (prepare after 5 runs) fails here
    assert "prepared statement" in caplog.text and "does not exist" in caplog.text


def _member(url: str, worker: str, reports: list[tuple[int, float]], errors: list[str]) -> None:
    with Client(url, retries=0) as client:  # every failed request is a finding
        member(client, "pooled", worker, reports, errors)


def test_a_served_study_through_pgbouncer_loses_nothing(pooled_url: str, tmp_path: Path) -> None:
    url = f"{pooled_url}?{NO_PREPARE}"
    migrate = [sys.executable, "-m", "hpo_service.cli", "db", "upgrade", "--database-url", url]
    done = subprocess.run(migrate, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    server = ServerProcess(url, workers=2, log_path=tmp_path / "server.log").start()
    reports: list[tuple[int, float]] = []
    errors: list[str] = []
    try:
        with Client(server.url) as admin:
            admin.create_study("pooled", SPACE, strategy={"name": "random"},
                               max_trials=BUDGET, seed=3)  # fmt: skip
            threads = [
                threading.Thread(target=_member, args=(server.url, f"w{i}", reports, errors))
                for i in range(4)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(180)
            trials = list(admin.study("pooled").trials())
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert errors == [], log[-2000:]
    assert "prepared statement" not in log
    assert [t.number for t in trials] == list(range(BUDGET))  # no duplicate, no gap
    assert all(t.state is TrialState.COMPLETE for t in trials)
    stored = {t.number: t.value for t in trials}
    assert sorted(number for number, _ in reports) == list(range(BUDGET))
    assert all(stored[number] == value for number, value in reports)

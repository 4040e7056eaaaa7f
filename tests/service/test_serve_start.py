"""`hpo serve --workers N` on a fresh SQLite file: the schema is migrated once, before forking."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpo_service.persistence import Database
from hpo_service.persistence.migrate import current_revision, head_revision
from tests.servers import ServerProcess

pytestmark = pytest.mark.slow
STARTS = 8


def test_many_starts_on_fresh_files_never_hit_a_locked_database(tmp_path: Path) -> None:
    for start in range(STARTS):
        url = f"sqlite:///{tmp_path / f'fresh-{start}.db'}"
        log = tmp_path / f"server-{start}.log"
        server = ServerProcess(url, workers=3, log_path=log)
        try:
            server.start(timeout=60)
        finally:
            server.stop()
        text = log.read_text(errors="replace")
        assert "database is locked" not in text, text[-2000:]
        assert text.count("Running upgrade  -> 0001") == 1, text[-2000:]  # once, in the parent
        database = Database(url)
        try:
            assert current_revision(database) == head_revision(url)
        finally:
            database.dispose()


def test_an_idle_keep_alive_connection_outlasts_the_clients_idle_limit(tmp_path: Path) -> None:
    """A connection idle for longer than gunicorn's default keep-alive (2 s) but shorter
    than httpx's own idle limit (5 s) is still open: the client, not the server, closes an
    idle connection, so a request sent on it never races the server's close."""
    import http.client
    import time

    server = ServerProcess(f"sqlite:///{tmp_path / 'keep.db'}", workers=1).start(timeout=60)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for pause in (0.0, 3.5):
            time.sleep(pause)
            connection.request("GET", "/healthz")  # the same socket: no reconnect between
            answer = connection.getresponse()
            assert answer.status == 200
            answer.read()
        connection.close()
    finally:
        server.stop()

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

"""Schema: Alembic head matches the models on SQLite and PostgreSQL; serving checks the revision."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from hpo_service.api import create_app
from hpo_service.domain import TrialState
from hpo_service.errors import SchemaOutOfDate
from hpo_service.persistence import Database, Repository
from hpo_service.persistence.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from hpo_service.persistence.models import Base
from tests.conftest import temporary_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (PostgreSQL: created and dropped here)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with temporary_postgres("hpo_mig") as url:
        yield url


def test_upgrade_from_empty_leaves_no_autogenerate_diff(empty_url: str) -> None:
    upgrade(empty_url)
    database = Database(empty_url)
    try:
        assert current_revision(database) == head_revision(empty_url)
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
        assert diff == []
        assert {"studies", "trials", "intermediate_values", "alembic_version"} <= tables
    finally:
        database.dispose()


def test_postgres_style_check_refuses_an_out_of_date_schema(empty_url: str) -> None:
    with pytest.raises(SchemaOutOfDate, match="hpo db upgrade"):
        create_app({"DATABASE_URL": empty_url, "AUTO_UPGRADE": False})
    upgrade(empty_url)
    app = create_app({"DATABASE_URL": empty_url, "AUTO_UPGRADE": False})
    assert app.test_client().get("/healthz").status_code == 200
    app.extensions["hpo_service"].database.dispose()


def test_sqlite_app_upgrades_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    app = create_app({"DATABASE_URL": url})
    database = app.extensions["hpo_service"].database
    assert current_revision(database) == head_revision(url)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    database.dispose()


def test_cli_serve_on_empty_postgres_names_the_upgrade_command() -> None:
    with temporary_postgres("hpo_cli") as url:
        serve = subprocess.run(
            [
                sys.executable,
                "-m",
                "hpo_service.cli",
                "serve",
                "--database-url",
                url,
                "--port",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert serve.returncode == 2
        assert "hpo db upgrade" in serve.stderr
        migrate = subprocess.run(
            [sys.executable, "-m", "hpo_service.cli", "db", "upgrade", "--database-url", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert migrate.returncode == 0, migrate.stderr
        assert head_revision(url) in migrate.stdout


def _insert_study(
    connection: Connection, trials: int, space: list[dict[str, object]] | None = None
) -> None:
    """Study 1, "s", as an old revision stores it, with ``trials`` numbers used."""
    insert = text(
        "INSERT INTO studies (id, name, direction, metric, space, strategy, "
        "lease_seconds, max_retries, seed, state, description, created_at, updated_at, "
        "next_number, seq) VALUES (1, 's', 'minimize', 'v', :space, '{}', 60, 3, 0, "
        "'running', '', '2026-01-01', '2026-01-01', :trials, :trials)"
    )
    connection.execute(insert, {"space": json.dumps(space or []), "trials": trials})


def test_trial_lifecycle_revision_backfills_why_trials_ended(empty_url: str) -> None:
    upgrade(empty_url, "0001")
    database = Database(empty_url)
    try:
        with database.engine.begin() as connection:
            _insert_study(connection, trials=4)
            for number, state, reason in [
                (0, "complete", None),
                (1, "failed", "lease expired 4 times without a report"),
                (2, "failed", "diverged"),
                (3, "running", None),
            ]:
                connection.exec_driver_sql(
                    "INSERT INTO trials (study_id, number, params, state, failure_reason, "
                    f"retries, extra, updated_seq) VALUES (1, {number}, '{{}}', '{state}', "
                    f"{'NULL' if reason is None else repr(reason)}, 0, '{{}}', {number})"
                )
        upgrade(empty_url)
        with database.engine.connect() as connection:
            reasons = connection.exec_driver_sql(
                "SELECT end_reason FROM trials ORDER BY number"
            ).scalars()
            assert list(reasons) == ["reported", "lease_expired", "failed", None]
            pruner = connection.exec_driver_sql("SELECT pruner FROM studies").scalar_one()
            assert pruner in ({"name": "none"}, '{"name": "none"}')
    finally:
        database.dispose()


def test_trial_lifecycle_revision_downgrades_without_losing_trials(empty_url: str) -> None:
    upgrade(empty_url)
    database = Database(empty_url)
    try:
        with database.engine.begin() as connection:
            _insert_study(connection, trials=1)
            connection.exec_driver_sql(
                "INSERT INTO trials (study_id, number, params, state, retries, extra, "
                "updated_seq, end_reason, pruned_step) VALUES "
                "(1, 0, '{}', 'pruned', 0, '{}', 1, 'pruned', 3)"
            )
        command.downgrade(alembic_config(empty_url), "0001")
        with database.engine.connect() as connection:
            row = connection.exec_driver_sql("SELECT state, failure_reason FROM trials").one()
        assert tuple(row) == ("failed", "pruned")
    finally:
        database.dispose()


def test_rescan_revision_makes_existing_studies_scan_for_waiting_trials(empty_url: str) -> None:
    """A study that had a queued trial before 0007 still hands it out after the upgrade
    (existing studies start with a ``rescan_at`` every clock has passed)."""
    upgrade(empty_url, "0006_model_fits")
    database = Database(empty_url)
    try:
        with database.engine.begin() as connection:
            _insert_study(
                connection, trials=1, space=[{"name": "x", "type": "float", "low": 0, "high": 1}]
            )
            connection.exec_driver_sql(
                "INSERT INTO trials (study_id, number, params, state, retries, extra, "
                "updated_seq) VALUES (1, 0, '{}', 'pending', 0, '{}', 1)"
            )
        upgrade(empty_url)
        with database.transaction(write=True) as session:
            now = datetime(2026, 12, 6, tzinfo=UTC)
            repo = Repository(session, "default", now)
            repo.lock_study("s")
            waiting = repo.waiting("s", now)
        assert [(t.number, t.state) for t in waiting] == [(0, TrialState.PENDING)]
    finally:
        database.dispose()

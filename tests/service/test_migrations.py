"""Schema: Alembic head matches the models on SQLite and PostgreSQL; serving checks the revision."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from hpo_service.api import create_app
from hpo_service.errors import SchemaOutOfDate
from hpo_service.persistence import Database
from hpo_service.persistence.migrate import current_revision, head_revision, upgrade
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

"""Alembic from code: upgrade to head and check that a database is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hpo_service.errors import SchemaOutOfDate
from hpo_service.persistence.database import Database, normalise_url


def migrations_dir() -> Path:
    """Where the Alembic scripts live (``migrations/`` at the project root)."""
    import migrations

    return Path(migrations.__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` without needing alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    """The newest revision this release knows."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_current(database: Database) -> None:
    """Raise SchemaOutOfDate unless the database is at head."""
    current, head = current_revision(database), head_revision(database.url)
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current or 'none (empty)'} but this "
            f"release needs {head}; run `hpo db upgrade` (with the same --database-url) first"
        )

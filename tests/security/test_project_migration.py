"""Alembic 0003_projects_and_tokens: existing studies move into the `default` project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hpo_service.persistence import Database
from hpo_service.persistence.migrate import upgrade
from hpo_service.service import Service
from tests.conftest import study_body, temporary_postgres

INSERT = (
    "INSERT INTO studies (name, direction, metric, space, strategy, max_trials, lease_seconds,"
    " max_retries, seed, state, description, created_at, updated_at, next_number, seq) VALUES"
    " ('old', 'minimize', 'value', :space, :strategy, NULL, 600, 3, 1, 'running', '',"
    " '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 0)"
)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    with temporary_postgres("hpo_mig3") as url:
        yield url


def test_existing_studies_join_the_default_project(empty_url: str) -> None:
    upgrade(empty_url, "0001")
    database = Database(empty_url)
    try:
        with database.engine.begin() as connection:
            space = '[{"name": "x", "type": "float", "low": 0.0, "high": 1.0, "log": false}]'
            connection.execute(text(INSERT), {"space": space, "strategy": '{"name": "random"}'})
        upgrade(empty_url)
        service = Service(database)
        assert [s.study.name for s in service.list_studies("default")] == ["old"]
        assert service.get_study("default", "old").study.project == "default"
        assert service.list_studies("other") == []
        service.create_study("other", study_body(name="old"))  # unique per project only
        assert service.get_study("other", "old").study.project == "other"
        assert service.tokens.listing() == []
    finally:
        database.dispose()

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

TRIAL = (
    "INSERT INTO trials (study_id, number, params, state, value, retries, extra, updated_seq)"
    " SELECT id, 0, '{\"x\": 0.5}', 'complete', 0.25, 0, '{}', 1 FROM studies"
)
POINT = "INSERT INTO intermediate_values (trial_id, step, value) SELECT id, 0, 0.5 FROM trials"


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
            connection.execute(text(TRIAL))
            connection.execute(text(POINT))
        upgrade(empty_url)
        service = Service(database)
        assert [s.study.name for s in service.list_studies("default")] == ["old"]
        assert service.get_study("default", "old").study.project == "default"
        assert service.list_studies("other") == []
        service.create_study("other", study_body(name="old"))  # unique per project only
        assert service.get_study("other", "old").study.project == "other"
        assert service.tokens.listing() == []
        (trial,) = service.all_trials("default", "old")  # a rebuilt table cascades no delete
        assert trial.value == 0.25 and [p.value for p in trial.intermediate] == [0.5]
    finally:
        database.dispose()

"""Shared fixtures: real SQLite files and a real PostgreSQL database, the app from create_app.

PostgreSQL: one database per test session (created and dropped here, named uniquely so
runs never collide); tables are emptied between tests. Under CI=true a missing server is
a failure, never a silent skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hpo_service.api import create_app
from hpo_service.optimisation.gp.memo import join_background

PG_ADMIN_URL = os.environ.get("HPO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_background_gp_work_left() -> Iterator[None]:
    """A big-history GP suggestion may leave a base model building in the background; wait
    for it, so that it never runs into the next test (and its monkeypatches)."""
    yield
    join_background(120)


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def need_postgres() -> None:
    """Fail under CI, skip elsewhere, when PostgreSQL is not reachable."""
    try:
        _pg_admin().close()
    except Exception as exc:
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def temporary_postgres(prefix: str = "hpo_test") -> Iterator[str]:
    """An empty PostgreSQL database with a unique name, dropped on exit; yields its URL."""
    need_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database at head for this session, dropped afterwards."""
    from hpo_service.persistence.migrate import upgrade

    with temporary_postgres() as url:
        upgrade(url)
        yield url


def _empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE studies, trials, intermediate_values, api_tokens, model_fits "
            "RESTART IDENTITY CASCADE"
        )


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses this runs once on a new SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hpo.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    yield url
    _empty_postgres(url)


class FakeClock:
    """A server clock tests can move forward."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    """A controllable server clock."""
    return FakeClock()


@pytest.fixture
def app(database_url: str, clock: FakeClock) -> Iterator[Flask]:
    """The real app on the parametrised database, with the fake clock."""
    application = create_app(
        {"DATABASE_URL": database_url, "CLOCK": clock, "AUTO_UPGRADE": True, "TESTING": True}
    )
    yield application
    application.extensions["hpo_service"].database.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client on the app."""
    return app.test_client()


SPACE = [
    {"name": "learning_rate_init", "type": "float", "low": 1e-4, "high": 0.1, "log": True},
    {"name": "hidden_layers", "type": "int", "low": 1, "high": 3},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh", "logistic"]},
]


def study_body(**overrides: Any) -> dict[str, Any]:
    """The issue's example study definition, with overrides."""
    body: dict[str, Any] = {
        "name": "cancer-mlp",
        "direction": "maximize",
        "metric": "cv_accuracy",
        "space": SPACE,
        "strategy": {"name": "random", "seed": 0},
        "max_trials": 50,
        "lease_seconds": 600,
    }
    body.update(overrides)
    return body

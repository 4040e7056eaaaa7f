"""Fixtures for the security tests: an app with authentication required, and its tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hpo_service.access import Role
from hpo_service.api import create_app
from tests.conftest import FakeClock


@pytest.fixture
def auth_app(database_url: str, clock: FakeClock) -> Iterator[Flask]:
    """The real app with authentication required, on the parametrised database."""
    application = create_app(
        {
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "AUTO_UPGRADE": True,
            "TESTING": True,
            "AUTH": "required",
        }
    )
    yield application
    application.extensions["hpo_service"].database.dispose()


@pytest.fixture
def auth_client(auth_app: Flask) -> FlaskClient:
    """A test client on the app with authentication required (no token of its own)."""
    return auth_app.test_client()


def make_token(app: Flask, role: Role, project: str | None = None, name: str = "t") -> str:
    """Create a token straight through the service; return its secret."""
    _token, secret = app.extensions["hpo_service"].tokens.create(name, role, project)
    return secret


def bearer(secret: str, **extra: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {secret}", **extra}

"""Client fixtures: the real app on a SQLite file, reached through httpx's WSGI transport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from hpo_service.api import create_app
from hpo_service.client import Client, StudyHandle

SPACE: list[dict[str, Any]] = [
    {"name": "lr", "type": "float", "low": 1e-4, "high": 0.1, "log": True},
    {"name": "layers", "type": "int", "low": 1, "high": 3},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh"]},
]


class FlakyTransport(httpx.BaseTransport):
    """The network edge, made unreliable on purpose: a queue of faults for matching requests.

    Faults: ``connect`` (refused, never reaches the app), ``lost`` (the app handles the
    request, then the response is lost), or an HTTP status such as ``503`` (answered by a
    proxy in front of the app). ``retry_after`` is sent with status faults when set.
    """

    def __init__(self, app: Flask) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.faults: list[str] = []
        self.match = ""
        self.retry_after: str | None = None
        self.seen: list[tuple[str, str]] = []
        self.reached_app: list[tuple[str, str]] = []

    def fail_next(self, *faults: str, match: str = "", retry_after: str | None = None) -> None:
        """Apply ``faults`` in order to the next requests whose path contains ``match``."""
        self.faults = list(faults)
        self.match = match
        self.retry_after = retry_after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Forward to the app unless a fault is due."""
        key = (request.method, request.url.path)
        self.seen.append(key)
        fault = self.faults.pop(0) if self.faults and self.match in key[1] else None
        if fault == "connect":
            raise httpx.ConnectError("connection refused (injected)", request=request)
        if fault is not None and fault.isdigit():
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return httpx.Response(int(fault), headers=headers, text="bad gateway (injected)")
        self.reached_app.append(key)
        response = self.inner.handle_request(request)
        if fault == "lost":
            response.read()
            raise httpx.ReadError("connection reset after the request (injected)", request=request)
        return response


@pytest.fixture
def wsgi_app(tmp_path: Path, clock: Any) -> Iterator[Flask]:
    """The real app on a fresh SQLite file, with the controllable server clock."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "CLOCK": clock,
            "ALLOWED_HOSTS": "hpo.test,a.test,b.test",  # a.test, b.test: the failover tests
        }
    )
    yield app
    app.extensions["hpo_service"].database.dispose()


@pytest.fixture
def transport(wsgi_app: Flask) -> FlakyTransport:
    """A transport to the app that tests can make flaky."""
    return FlakyTransport(wsgi_app)


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff delay the client asked for (the client's sleep is recorded, not slept)."""
    return []


@pytest.fixture
def hpo(transport: FlakyTransport, sleeps: list[float]) -> Iterator[Client]:
    """A client on the app whose backoff sleeps are recorded instead of slept."""
    with Client("http://hpo.test", transport=transport, retries=3, sleep=sleeps.append) as client:
        yield client


@pytest.fixture
def make_study(hpo: Client) -> Callable[..., StudyHandle]:
    """Create a study on SPACE (random strategy, seeded) with overrides."""

    def make(name: str = "s", **options: Any) -> StudyHandle:
        settings: dict[str, Any] = {
            "direction": "maximize",
            "metric": "accuracy",
            "strategy": {"name": "random"},
            "seed": 1,
            "max_trials": 20,
            "lease_seconds": 60,
            **options,
        }
        return hpo.create_study(name, SPACE, **settings)

    return make

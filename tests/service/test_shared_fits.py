"""Service processes on one PostgreSQL share big GP fits (persistence/fits.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from hpo_service.api import create_app
from hpo_service.optimisation.gp import model, shared, surrogate
from hpo_service.optimisation.gp.memo import join_background
from hpo_service.persistence import Database
from hpo_service.persistence.fits import DatabaseFitStore
from hpo_service.persistence.migrate import upgrade
from tests.conftest import study_body, temporary_postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    with temporary_postgres("hpo_fits") as url:
        upgrade(url)
        yield url


def _app(url: str) -> Flask:
    return create_app({"DATABASE_URL": url, "TESTING": True})


def test_the_table_keeps_the_first_payload_of_a_digest(pg_url: str) -> None:
    store = DatabaseFitStore(Database(pg_url))
    try:
        assert store.load("a" * 64) is None
        store.save("a" * 64, b"first")
        store.save("a" * 64, b"second")  # another process, same digest: skipped
        assert store.load("a" * 64) == b"first"
    finally:
        store.database.dispose()


def test_a_claim_makes_the_next_claimer_wait(pg_url: str) -> None:
    store = DatabaseFitStore(Database(pg_url))
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with store.claim("b" * 64):
            held.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    with store.claim("b" * 64):
        order.append("second in")
    with store.claim("c" * 64):  # another digest never waits for it
        pass
    thread.join()
    store.database.dispose()
    assert order == ["first done", "second in"]


def test_sqlite_services_fit_for_themselves(tmp_path: Any) -> None:
    app = _app(f"sqlite:///{tmp_path / 'hpo.db'}")
    assert app.extensions["hpo_service"].fits is None
    with pytest.raises(ValueError, match="PostgreSQL"):
        DatabaseFitStore(app.extensions["hpo_service"].database)
    app.extensions["hpo_service"].database.dispose()


def test_a_second_process_suggests_from_the_first_ones_fits(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _app(pg_url), _app(pg_url)
    try:
        _suggest_in_two_processes(first, second, monkeypatch)
    finally:
        for app in (first, second):
            app.extensions["hpo_service"].database.dispose()


def _suggest_in_two_processes(first: Flask, second: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    body = study_body(name="big", strategy={"name": "gp", "seed": 3}, max_trials=None)
    client = first.test_client()
    assert client.post("/api/v1/studies", json=body).status_code == 201
    for i in range(300):
        params = {
            "learning_rate_init": 10 ** (-4 + 3 * ((i * 0.618) % 1)),
            "hidden_layers": 1 + i % 3,
            "activation": ["relu", "tanh", "logistic"][i % 3],
        }
        value = -abs(i * 0.618 % 1 - 0.4)
        trial = {"params": params, "value": value}
        assert client.post("/api/v1/studies/big/trials", json=trial).status_code == 201
    shared.clear_cache()
    surrogate.clear_cache()
    assert client.post("/api/v1/studies/big/suggestions", json={}).status_code == 200
    join_background(60)
    with first.extensions["hpo_service"].database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM model_fits").scalar_one()
    assert rows >= 2, "the base model's fit and its warm start were published"

    fits: list[int] = []
    real = model.fit_hyperparameters
    monkeypatch.setattr(
        surrogate,
        "fit_hyperparameters",
        lambda x, y, warm=None: fits.append(len(x)) or real(x, y, warm),
    )
    shared.clear_cache()  # the second process has nothing in memory
    surrogate.clear_cache()
    answer = second.test_client().post("/api/v1/studies/big/suggestions", json={})
    join_background(60)
    assert answer.status_code == 200
    assert fits == [], "the second process loaded every fit instead of fitting"

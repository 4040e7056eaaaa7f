"""Pooled PostgreSQL connections the server dropped: BEGIN finds them, at no extra cost.

Every transaction's first round trip is its ``BEGIN`` (the driver opens none itself). A
connection terminated inside PostgreSQL (``pg_terminate_backend``, a restart, a
failover) fails there, before anything ran, so the transaction begins again on a new
connection and the request never sees it. Without a ``SELECT 1`` ping per checkout.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text

from hpo_service.errors import StorageUnavailable
from hpo_service.persistence import Database
from tests.conftest import temporary_postgres
from tests.servers import terminate_every_backend


def _connections(database: Database) -> list[object]:
    made: list[object] = []
    event.listen(database.engine, "connect", lambda dbapi, _record: made.append(dbapi))
    return made


def test_transactions_begin_again_on_new_connections_after_a_termination() -> None:
    with temporary_postgres("hpo_dropped") as url:
        database = Database(url)
        made = _connections(database)
        try:
            first, second = threading.Event(), threading.Event()

            def hold() -> None:  # two connections in the pool, not one
                with database.transaction() as session:
                    session.execute(text("SELECT 1"))
                    first.set()
                    second.wait(10)

            holder = threading.Thread(target=hold)
            holder.start()
            first.wait(10)
            with database.transaction() as session:
                session.execute(text("SELECT 1"))
            second.set()
            holder.join(10)
            assert len(made) == 2
            assert terminate_every_backend(url) == 2
            dropped: list[bool] = []
            event.listen(
                database.engine, "handle_error", lambda ctx: dropped.append(ctx.is_disconnect)
            )
            for _ in range(3):  # each pooled connection is dead: none of them may surface
                with database.transaction(write=True) as session:
                    assert session.execute(text("SELECT 41 + 1")).scalar_one() == 42
            # both replaced; one BEGIN failed, which discarded the rest of the pool
            assert len(made) == 4 and dropped == [True]
        finally:
            database.dispose()


def test_a_connection_dropped_inside_a_transaction_is_a_503_not_a_retry() -> None:
    """Once anything ran, the transaction cannot be replayed by the storage layer: the
    request answers the documented 503 (the client retries it)."""
    with temporary_postgres("hpo_dropped") as url:
        database = Database(url)
        try:
            with pytest.raises(StorageUnavailable), database.transaction(write=True) as session:
                session.execute(text("SELECT 1"))
                assert terminate_every_backend(url) == 1
                session.execute(text("SELECT 2"))
            with database.transaction() as session:  # and the next one works
                assert session.execute(text("SELECT 3")).scalar_one() == 3
        finally:
            database.dispose()

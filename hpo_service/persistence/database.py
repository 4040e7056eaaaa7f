"""Engine set-up and the one transaction context manager (the only caller of commit()).

Neither driver opens transactions itself: SQLAlchemy's begin sends ``BEGIN``, the
first round trip of every transaction and its liveness check. A pooled connection the
server dropped (``pg_terminate_backend``, a restart, a failover) fails there, before
anything ran, so the transaction begins again on a new connection: no ``SELECT 1`` ping
per checkout (``pool_pre_ping`` cost one round trip per request).

SQLite: WAL journal, a busy timeout and foreign keys on every connection; write
transactions use ``BEGIN IMMEDIATE`` so that two writers serialise on the database lock
at the start instead of failing at commit.
PostgreSQL: write transactions lock the study row with ``SELECT ... FOR UPDATE``
(see the repository); nothing is serialised in process memory. psycopg prepares a
statement on the server once a connection has run it 5 times; behind a pooler that hands
each transaction to any server connection (PgBouncer before 1.21 in transaction mode, or
later ones without ``max_prepared_statements``) the prepared name is missing on the next
connection, so ``?prepare_threshold=none`` in the database URL turns that off
(``prepare_threshold``: psycopg's own name for the setting).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from hpo_service.errors import Conflict, HpoError, InvalidRequest, StorageUnavailable

log = logging.getLogger(__name__)

DEFAULT_SQLITE_FILE = "hpo.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_database_url() -> str:
    """``HPO_DATABASE_URL`` if set, else an SQLite file in the working directory."""
    return os.environ.get("HPO_DATABASE_URL") or f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs; take a password-less URL's password from
    the file named by ``HPO_DATABASE_PASSWORD_FILE`` (a Docker secret) when set."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    password_file = os.environ.get("HPO_DATABASE_PASSWORD_FILE")
    if password_file and not url.startswith("sqlite"):
        parsed = make_url(url)
        if parsed.password is None:
            password = Path(password_file).read_text().strip()
            return parsed.set(password=password).render_as_string(hide_password=False)
    return url


def is_sqlite(url: str) -> bool:
    """True for SQLite URLs."""
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver opens no transaction
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: WAL may wait
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


SESSION_LIMITS = {"idle_in_transaction_session_timeout": 30, "lock_timeout": 10}
"""PostgreSQL settings of the service's sessions, in seconds, each set on a new connection
unless the role, the database or the URL (``?options=-c%20lock_timeout%3D...``) sets it.

A service instance frozen or cut off while it holds a study's lock (a paused VM, a network
partition: no connection reset reaches the server, whose TCP keepalive waits two hours by
default) would otherwise stall every other instance's writes to that study. The idle
timeout ends such a session, and with it the lock. The lock timeout makes sure the lock
then goes to a live instance: the frozen instance's other requests, sent before it froze,
are queued for the same lock and would each be granted it and freeze it for another idle
timeout; they give up first, as the lock timeout is the shorter. A request that waits that
long for a lock gets the documented 503 (retry). The service is never idle in a transaction
for long (its longest gap is the GP's work under the lock, about 1 s at 10,000
observations), and a study's lock is held for milliseconds; the GP fit store's claim, which
waits out a whole fit, sets both for its own transaction."""

_SET_UNLESS_SET = "SELECT " + ", ".join(
    f"CASE WHEN current_setting('{name}') = '0' THEN set_config('{name}', %s, false) END"
    for name in SESSION_LIMITS
)


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver opens no transaction; commit() and rollback() still end the one BEGIN
        # opened (psycopg sends them whenever the server says a transaction is open).
        dbapi_connection.autocommit = True
        dbapi_connection.execute(_SET_UNLESS_SET, tuple(f"{s}s" for s in SESSION_LIMITS.values()))


def _begin_explicitly(engine: Engine, immediate_writes: bool) -> None:
    """SQLAlchemy's begin sends ``BEGIN`` (the drivers open no transaction themselves);
    with ``immediate_writes`` (SQLite), write transactions take the database lock at once."""

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get("hpo_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate_writes and write else "BEGIN")


PREPARE_OPTION = "prepare_threshold"


def prepare_threshold(url: str) -> tuple[str, dict[str, Any]]:
    """The URL without ``prepare_threshold`` and psycopg's connect arguments for it:
    ``none`` (or ``off``) never prepares statements on the server, a whole number N >= 0
    prepares a statement from its N-th run on a connection (psycopg's default is 5)."""
    parsed = make_url(url)
    if PREPARE_OPTION not in parsed.query:
        return url, {}
    value = parsed.query[PREPARE_OPTION]
    text = value.strip().lower() if isinstance(value, str) else ""
    threshold: int | None
    if text in ("none", "off"):
        threshold = None
    elif text.isdigit():
        threshold = int(text)
    else:
        raise ValueError(
            f"the database URL's {PREPARE_OPTION} must be 'none' or a whole number, got "
            f"{value!r}; behind PgBouncer in transaction mode use ?{PREPARE_OPTION}=none"
        )
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"{PREPARE_OPTION} applies to PostgreSQL URLs only; remove it")
    rest = parsed.difference_update_query([PREPARE_OPTION])
    return rest.render_as_string(hide_password=False), {PREPARE_OPTION: threshold}


def make_engine(url: str) -> Engine:
    """Create an engine with the settings this service relies on."""
    url, connect_args = prepare_threshold(normalise_url(url))
    sqlite = is_sqlite(url)
    if sqlite:
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_size=5, max_overflow=10, connect_args=connect_args)
        _configure_postgresql(engine)
    _begin_explicitly(engine, immediate_writes=sqlite)
    return engine


def translate(exc: DBAPIError) -> HpoError:
    """A driver error as an HpoError whose message never quotes the driver.

    The driver's own text (which can name tables, constraints and stored values) goes
    in ``log_detail``: the api logs it with the request id and sends only the id.
    """
    error: HpoError
    if isinstance(exc, IntegrityError):
        error = Conflict("the change clashes with stored data (a name or number is taken)")
    elif isinstance(exc, DataError):
        error = InvalidRequest(
            "a value cannot be stored (out-of-range number or unsupported text); "
            "check the request against /api/v1/openapi.json and retry"
        )
    elif isinstance(exc, OperationalError) or exc.connection_invalidated:
        # a lost connection, whatever its class: the server ending an idle session
        # (IdleInTransactionSessionTimeout) is an InternalError to the driver
        error = StorageUnavailable("the database is unavailable or busy; retry shortly")
    else:
        log.exception("database error")
        error = StorageUnavailable("the database reported an error; retry shortly")
    error.log_detail = f"{type(exc.orig).__name__}: {exc.orig}"
    return error


class StaleRead(Exception):
    """A trial read before its study's lock changed before the lock was taken (its
    update matched no row); the transaction is rolled back, so reading it again under the
    lock and redoing the change is safe (``Repository.read_trial_early``)."""


def _begun(session: Session) -> tuple[Session, SessionTransaction]:
    begun = session.begin()
    try:
        session.connection()  # the begin event sends BEGIN
    except BaseException:
        session.close()
        raise
    return session, begun


class Database:
    """An engine plus the transaction boundary every use case goes through."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.dialect = self.engine.dialect.name
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(hpo_write=True), expire_on_commit=False
        )

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Session]:
        """Yield a session; commit on success, roll back on error, translate DB errors."""
        try:
            session, begun = self._begin(write)
        except DBAPIError as exc:
            raise translate(exc) from exc
        try:
            with begun:
                yield session
        except HpoError:
            raise
        except DBAPIError as exc:
            raise translate(exc) from exc
        except StaleDataError as exc:
            raise StaleRead(str(exc)) from exc
        finally:
            session.close()

    def _begin(self, write: bool) -> tuple[Session, SessionTransaction]:
        """A session whose transaction has begun (``BEGIN`` sent). A connection the server
        dropped fails right there, with nothing run: SQLAlchemy then discards it and every
        connection pooled before it, and the transaction begins once more, on a new
        connection."""
        maker = self._writer if write else self._reader
        try:
            return _begun(maker())
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        return _begun(maker())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

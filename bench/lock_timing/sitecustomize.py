"""Lock-hold timing for bench/gp_concurrency.py, loaded into the server via PYTHONPATH.

Python imports ``sitecustomize`` at start-up; this one does nothing unless
``HPO_BENCH_LOCK_LOG`` names a file. Then it adds SQLAlchemy event listeners (no service
code is changed) that time every transaction holding the study lock: from the end of the
statement that takes it (``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on
PostgreSQL) to the end of the COMMIT or ROLLBACK, and append one JSON line per transaction:
``{"path": request path, "wait": seconds to get the lock, "held": seconds held, "first":
seconds from the lock to the next statement (None: none before COMMIT), "statements":
statements sent while it was held, "sql": seconds those statements took, "commit":
seconds from the COMMIT (or ROLLBACK) being sent to the session seeing it done}``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

_LOG = os.environ.get("HPO_BENCH_LOCK_LOG")
_local = threading.local()


def _takes_lock(statement: str) -> bool:
    return statement.startswith("BEGIN IMMEDIATE") or "FOR UPDATE" in statement


def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    now = time.perf_counter()
    if "lock_at" in conn.info:  # a statement sent while the lock is held
        conn.info.setdefault("first_at", now)
        conn.info["sent_at"] = now
    elif _takes_lock(statement):
        conn.info["asked_at"] = now


def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    now = time.perf_counter()
    if "lock_at" in conn.info:
        conn.info["statements"] = conn.info.get("statements", 0) + 1
        conn.info["sql"] = conn.info.get("sql", 0.0) + now - conn.info.pop("sent_at", now)
    elif "asked_at" in conn.info:
        conn.info["lock_at"] = now


def _ending(conn: Any) -> None:
    """Connection commit/rollback event (fires before the database ends the transaction)."""
    asked, held_from = conn.info.pop("asked_at", None), conn.info.pop("lock_at", None)
    first_at = conn.info.pop("first_at", None)
    statements, sql = conn.info.pop("statements", 0), conn.info.pop("sql", 0.0)
    if held_from is not None:
        first = None if first_at is None else first_at - held_from
        _local.pending = (asked, held_from, first, statements, sql, time.perf_counter())


def _ended(session: Any) -> None:
    """Session after_commit / after_rollback: the database has released the lock."""
    pending = getattr(_local, "pending", None)
    if pending is None or _LOG is None:
        return
    _local.pending = None
    now = time.perf_counter()
    asked, held_from, first, statements, sql, ending = pending
    row = {
        "path": _path(),
        "wait": held_from - asked,
        "held": now - held_from,
        "first": first,
        "statements": statements,
        "sql": sql,
        "commit": now - ending,
    }
    with open(_LOG, "a") as handle:
        handle.write(json.dumps(row) + "\n")


def _path() -> str:
    try:
        from flask import has_request_context, request

        return request.path if has_request_context() else "-"
    except ImportError:
        return "-"


def _install() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    event.listen(Engine, "before_cursor_execute", _before)
    event.listen(Engine, "after_cursor_execute", _after)
    event.listen(Engine, "commit", _ending)
    event.listen(Engine, "rollback", _ending)
    event.listen(Session, "after_commit", _ended)
    event.listen(Session, "after_rollback", _ended)


if _LOG:
    _install()

"""Lock-hold timing for bench/gp_concurrency.py, loaded into the server via PYTHONPATH.

Python imports ``sitecustomize`` at start-up; this one does nothing unless
``HPO_BENCH_LOCK_LOG`` names a file. Then it adds SQLAlchemy event listeners (no service
code is changed) that time every transaction holding the study lock: from the end of the
statement that takes it (``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on
PostgreSQL) to the end of the COMMIT or ROLLBACK, and append one JSON line per transaction:
``{"path": request path, "wait": seconds to get the lock, "held": seconds held}``.
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
    if _takes_lock(statement) and "lock_at" not in conn.info:
        conn.info["asked_at"] = time.perf_counter()


def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if "asked_at" in conn.info and "lock_at" not in conn.info:
        conn.info["lock_at"] = time.perf_counter()


def _ending(conn: Any) -> None:
    """Connection commit/rollback event (fires before the database ends the transaction)."""
    asked, held_from = conn.info.pop("asked_at", None), conn.info.pop("lock_at", None)
    if held_from is not None:
        _local.pending = (asked, held_from)


def _ended(session: Any) -> None:
    """Session after_commit / after_rollback: the database has released the lock."""
    pending = getattr(_local, "pending", None)
    if pending is None or _LOG is None:
        return
    _local.pending = None
    asked, held_from = pending
    row = {"path": _path(), "wait": held_from - asked, "held": time.perf_counter() - held_from}
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

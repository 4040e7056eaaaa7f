"""The database as the GP engine's fit store (optimisation/gp/fit_store.py).

Rows are content-addressed and immutable: a digest names one fit's inputs, so two processes
that fit the same digest store the same bytes, and the second insert is simply skipped.
Each load or save is its own short transaction on its own pooled connection, so it never
waits on (or for) a study lock the calling request may hold. ``claim`` holds a transaction-
level advisory lock named by the digest while one process fits it (``CLAIM_TIMEOUT`` at most).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert

from hpo_service.persistence.database import Database
from hpo_service.persistence.mapping import naive_utc
from hpo_service.persistence.models import ModelFitRow

CLAIM_TIMEOUT = "60s"  # a fit at 10,000 observations takes ~20 s


class DatabaseFitStore:
    """Fitted hyperparameters by digest, in the ``model_fits`` table (PostgreSQL)."""

    def __init__(self, database: Database) -> None:
        if database.dialect != "postgresql":
            raise ValueError("the shared fit store needs PostgreSQL")
        self.database = database

    def load(self, digest: str) -> bytes | None:
        """The stored payload for ``digest``, or None."""
        with self.database.transaction() as session:
            query = select(ModelFitRow.payload).where(ModelFitRow.digest == digest)
            payload = session.execute(query).scalar_one_or_none()
        return None if payload is None else bytes(payload)

    def save(self, digest: str, payload: bytes) -> None:
        """Store ``payload`` under ``digest`` unless another process already has."""
        row = {"digest": digest, "payload": payload, "created_at": naive_utc(datetime.now(UTC))}
        with self.database.transaction() as session:
            session.execute(insert(ModelFitRow).values(row).on_conflict_do_nothing())

    @contextmanager
    def claim(self, digest: str) -> Iterator[None]:
        """Hold the advisory lock named by ``digest`` (the first 60 bits) until the block ends."""
        with self.database.transaction() as session:
            # wait for another claim at most CLAIM_TIMEOUT; stay idle while fitting as long
            # as the fit takes (database.SESSION_LIMITS do not apply to a claim)
            limits = "SELECT set_config('lock_timeout', :wait, true), " + (
                "set_config('idle_in_transaction_session_timeout', '0', true)"
            )
            session.execute(text(limits), {"wait": CLAIM_TIMEOUT})
            session.execute(select(func.pg_advisory_xact_lock(int(digest[:15], 16))))
            yield

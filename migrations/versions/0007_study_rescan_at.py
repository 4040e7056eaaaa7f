"""studies.rescan_at: the time before which no trial of the study is waiting

Revision ID: 0007_study_rescan_at
Revises: 0006_model_fits
Create Date: 2026-12-06 18:45:00

Every write under a study's lock keeps the column a lower bound of when a trial may next be
waiting (queued or stale: now; handed out: its lease), so a suggest reads it with the lock
and skips the waiting-trials query when the bound lies ahead. Studies that exist already
get the epoch: their first suggest scans once and sets the bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007_study_rescan_at"
down_revision: str | None = "0006_model_fits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("studies", sa.Column("rescan_at", sa.DateTime(), nullable=True))
    studies = sa.table("studies", sa.column("rescan_at", sa.DateTime()))
    op.execute(studies.update().values(rescan_at=datetime(1970, 1, 1)))


def downgrade() -> None:
    """Revert this revision (plain DROP COLUMN, SQLite 3.35+)."""
    op.drop_column("studies", "rescan_at")

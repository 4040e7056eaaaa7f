"""model_fits: fitted GP hyperparameters shared by the service's processes

Revision ID: 0006_model_fits
Revises: 0005_objectives_constraints
Create Date: 2026-12-05 04:10:00

A new table only; rows are content-addressed caches (deleting them loses no data, the next
suggestion fits again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_model_fits"
down_revision: str | None = "0005_objectives_constraints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "model_fits",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_model_fits")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("model_fits")

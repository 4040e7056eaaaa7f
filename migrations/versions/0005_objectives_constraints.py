"""several objectives and constraints: study objectives, constraints, reference point;
trial values and feasibility

Revision ID: 0005_objectives_constraints
Revises: 0004_scale_indexes
Create Date: 2026-12-03 10:00:00

Only nullable ``ADD COLUMN``s: NULL objectives mean the study's single objective is its
(direction, metric); NULL values on a trial written before this revision mean
``{metric: value}``. No table rebuild (on SQLite that would cascade-delete trials).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_objectives_constraints"
down_revision: str | None = "0004_scale_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("studies", sa.Column("objectives", sa.JSON(), nullable=True))
    op.add_column("studies", sa.Column("constraints", sa.JSON(), nullable=True))
    op.add_column("studies", sa.Column("reference_point", sa.JSON(), nullable=True))
    op.add_column("trials", sa.Column("metric_values", sa.JSON(), nullable=True))
    op.add_column("trials", sa.Column("feasible", sa.Boolean(), nullable=True))


def downgrade() -> None:
    """Revert this revision (plain DROP COLUMN, SQLite 3.35+)."""
    op.drop_column("trials", "feasible")
    op.drop_column("trials", "metric_values")
    op.drop_column("studies", "reference_point")
    op.drop_column("studies", "constraints")
    op.drop_column("studies", "objectives")

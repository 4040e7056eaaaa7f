"""trial lifecycle: why a trial ended (end_reason), where a pruned trial stopped, study pruner

Revision ID: 0002_trial_lifecycle
Revises: 0001
Create Date: 2026-12-02 16:20:00

Backfill: complete trials ended ``reported``; failed trials whose failure_reason starts
with "lease expired" (the only way the old code recorded a give-up) ended
``lease_expired``, other failed trials ``failed``. Every study gets ``{"name": "none"}``
as its pruner, which keeps its behaviour unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_trial_lifecycle"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("pruned_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pruner", sa.JSON(), nullable=True))
    op.execute("UPDATE trials SET end_reason = 'reported' WHERE state = 'complete'")
    op.execute(
        "UPDATE trials SET end_reason = CASE WHEN failure_reason LIKE 'lease expired%' "
        "THEN 'lease_expired' ELSE 'failed' END WHERE state = 'failed'"
    )
    studies = sa.table("studies", sa.column("pruner", sa.JSON()))
    op.execute(studies.update().values(pruner={"name": "none"}))
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.alter_column("pruner", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    """Revert this revision (pruned trials become failed, keeping their reason)."""
    op.execute(
        "UPDATE trials SET state = 'failed', failure_reason = 'pruned' WHERE state = 'pruned'"
    )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_column("pruner")
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_column("pruned_step")
        batch_op.drop_column("end_reason")

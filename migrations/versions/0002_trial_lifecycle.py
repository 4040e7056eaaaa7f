"""trial lifecycle: why a trial ended (end_reason), where a pruned trial stopped, study pruner

Revision ID: 0002_trial_lifecycle
Revises: 0001
Create Date: 2026-12-02 16:20:00

Backfill: complete trials ended ``reported``; failed trials whose failure_reason starts
with "lease expired" (the only way the old code recorded a give-up) ended
``lease_expired``, other failed trials ``failed``. Every study gets ``{"name": "none"}``
as its pruner (the column default), which keeps its behaviour unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_trial_lifecycle"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PRUNER_DEFAULT = sa.text("""'{"name": "none"}'""")


def upgrade() -> None:
    """Apply this revision.

    Only ``ADD COLUMN`` (a constant default fills existing rows): on SQLite a batch
    table rebuild would drop the old studies table, and with foreign keys on, that
    deletes every trial by cascade.
    """
    op.add_column("trials", sa.Column("end_reason", sa.String(length=16), nullable=True))
    op.add_column("trials", sa.Column("pruned_step", sa.Integer(), nullable=True))
    op.add_column(
        "studies", sa.Column("pruner", sa.JSON(), nullable=False, server_default=PRUNER_DEFAULT)
    )
    op.execute("UPDATE trials SET end_reason = 'reported' WHERE state = 'complete'")
    op.execute(
        "UPDATE trials SET end_reason = CASE WHEN failure_reason LIKE 'lease expired%' "
        "THEN 'lease_expired' ELSE 'failed' END WHERE state = 'failed'"
    )


def downgrade() -> None:
    """Revert this revision (pruned trials become failed, keeping their reason).

    Plain ``DROP COLUMN`` (SQLite 3.35+), never a table rebuild, for the reason above.
    """
    op.execute(
        "UPDATE trials SET state = 'failed', failure_reason = 'pruned' WHERE state = 'pruned'"
    )
    op.drop_column("studies", "pruner")
    op.drop_column("trials", "pruned_step")
    op.drop_column("trials", "end_reason")

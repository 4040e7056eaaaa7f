"""scale indexes: the lease scan and `best` each read one index range

Revision ID: 0004_scale_indexes
Revises: 0003_projects_and_tokens
Create Date: 2026-12-02 17:05:00

(study_id, state, lease_expires_at) serves the expired-lease scan of every write path;
(study_id, state, value) serves `best` and the studies list. Both start with
(study_id, state), so the old two-column index is dropped as redundant.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_scale_indexes"
down_revision: str | None = "0003_projects_and_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(
        "ix_trials_study_state_lease", "trials", ["study_id", "state", "lease_expires_at"]
    )
    op.create_index("ix_trials_study_state_value", "trials", ["study_id", "state", "value"])
    op.drop_index("ix_trials_study_state", table_name="trials")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index("ix_trials_study_state", "trials", ["study_id", "state"])
    op.drop_index("ix_trials_study_state_value", table_name="trials")
    op.drop_index("ix_trials_study_state_lease", table_name="trials")

"""projects and API tokens: studies.project (existing studies join 'default'), api_tokens

Study names become unique per project instead of globally. Tokens are stored as the
SHA-256 of their secret, looked up through the unique index on token_hash.

Revision ID: 0003_projects_and_tokens
Revises: 0002_trial_lifecycle
Create Date: 2026-12-02 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_projects_and_tokens"
down_revision: str | None = "0002_trial_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("project", sa.String(length=64), server_default="default", nullable=False)
        )
        batch_op.drop_constraint("uq_studies_name", type_="unique")
        batch_op.create_unique_constraint("uq_studies_project_name", ["project", "name"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("project", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )


def downgrade() -> None:
    """Revert this revision (fails if two projects hold a study of the same name)."""
    op.drop_table("api_tokens")
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_constraint("uq_studies_project_name", type_="unique")
        batch_op.create_unique_constraint("uq_studies_name", ["name"])
        batch_op.drop_column("project")

"""API token scopes: one tenant, read-only, an expiry

Revision ID: 0003_core
Revises: 0002_core
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db.base

revision: str = "0003_core"
down_revision: str | Sequence[str] | None = "0002_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("only_tenant_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("read_only", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("expires_at", core.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_token_only_tenant_id_tenant"),
            "tenant",
            ["only_tenant_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("read_only", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_api_token_only_tenant_id_tenant"), type_="foreignkey")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("read_only")
        batch_op.drop_column("only_tenant_id")

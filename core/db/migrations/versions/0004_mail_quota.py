"""mail quota: recipients per tenant per hour and per day

Revision ID: 0004_mail_quota
Revises: 0003_core
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_mail_quota"
down_revision: str | Sequence[str] | None = "0003_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_quota",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_mail_quota_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("tenant_id", "period", "window", name=op.f("pk_mail_quota")),
    )


def downgrade() -> None:
    op.drop_table("mail_quota")

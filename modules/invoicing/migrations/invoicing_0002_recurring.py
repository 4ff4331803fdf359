"""invoicing: recurring invoice plans

Revision ID: invoicing_0002
Revises: invoicing_0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db.base

revision: str = "invoicing_0002"
down_revision: str | Sequence[str] | None = "invoicing_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoicing_recurring",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("next_date", sa.Date(), nullable=False),
        sa.Column("anchor_day", sa.Integer(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("auto_issue", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_document_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["party.tenant_id", "party.id"],
            name=op.f("fk_invoicing_recurring_tenant_id_customer_id_party"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_recurring_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoicing_recurring")),
    )
    with op.batch_alter_table("invoicing_recurring", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoicing_recurring_due", ["tenant_id", "active", "next_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoicing_recurring", schema=None) as batch_op:
        batch_op.drop_index("ix_invoicing_recurring_due")

    op.drop_table("invoicing_recurring")

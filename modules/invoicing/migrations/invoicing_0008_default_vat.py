"""a co-op's default VAT category and rate, which new invoice lines start with

Revision ID: invoicing_0008
Revises: invoicing_0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db.base

revision: str = "invoicing_0008"
down_revision: str | Sequence[str] | None = "invoicing_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoicing_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("default_vat_category", sa.String(length=2), server_default="S", nullable=False)
        )
        batch_op.add_column(sa.Column("default_vat_rate", core.db.base.Amount(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoicing_settings", schema=None) as batch_op:
        batch_op.drop_column("default_vat_rate")
        batch_op.drop_column("default_vat_category")

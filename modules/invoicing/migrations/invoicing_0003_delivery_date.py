"""delivery date

Revision ID: invoicing_0003
Revises: invoicing_0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "invoicing_0003"
down_revision: str | Sequence[str] | None = "invoicing_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoicing_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoicing_document", schema=None) as batch_op:
        batch_op.drop_column("delivery_date")

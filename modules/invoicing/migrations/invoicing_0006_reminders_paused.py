"""reminders can be paused for one invoice (a disputed one, say)

Revision ID: invoicing_0006
Revises: invoicing_0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "invoicing_0006"
down_revision: str | Sequence[str] | None = "invoicing_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoicing_document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders_paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("invoicing_document", schema=None) as batch_op:
        batch_op.drop_column("reminders_paused")

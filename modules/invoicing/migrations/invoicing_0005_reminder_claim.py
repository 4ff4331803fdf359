"""a reminder is claimed before its mail is sent, and marked sent after

Revision ID: invoicing_0005
Revises: invoicing_0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db.base

revision: str = "invoicing_0005"
down_revision: str | Sequence[str] | None = "invoicing_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoicing_reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", core.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.alter_column("sent_at", existing_type=core.db.base.UtcDateTime(timezone=True), nullable=True)


def downgrade() -> None:
    # A reminder still being sent has no sent_at; the earlier schema cannot hold it.
    op.execute("DELETE FROM invoicing_reminder WHERE sent_at IS NULL")
    with op.batch_alter_table("invoicing_reminder", schema=None) as batch_op:
        batch_op.alter_column(
            "sent_at", existing_type=core.db.base.UtcDateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("claimed_at")

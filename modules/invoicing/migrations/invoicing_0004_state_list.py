"""list by state, newest first

Revision ID: invoicing_0004
Revises: invoicing_0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "invoicing_0004"
down_revision: str | Sequence[str] | None = "invoicing_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_invoicing_document_state_list",
        "invoicing_document",
        ["tenant_id", "kind", "state", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_invoicing_document_state_list", table_name="invoicing_document")

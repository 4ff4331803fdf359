"""job runs

Revision ID: 0002_core
Revises: 0001_core
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db.base

revision: str = "0002_core"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", core.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_job_run_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("tenant_id", "job", "day", name=op.f("pk_job_run")),
    )


def downgrade() -> None:
    op.drop_table("job_run")

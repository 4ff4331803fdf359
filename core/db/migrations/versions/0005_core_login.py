"""Login throttle: the networks each user logs in from, and the per-e-mail back-off

Revision ID: 0005_core_login
Revises: 0004_mail_quota
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db.base

revision: str = "0005_core_login"
down_revision: str | Sequence[str] | None = "0004_mail_quota"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_backoff",
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_hash", name=op.f("pk_login_backoff")),
    )
    op.create_index(op.f("ix_login_backoff_last_attempt_at"), "login_backoff", ["last_attempt_at"])
    op.create_table(
        "login_network",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=False),
        sa.Column("last_login_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_login_network_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "network", name=op.f("pk_login_network")),
    )


def downgrade() -> None:
    op.drop_table("login_network")
    op.drop_index(op.f("ix_login_backoff_last_attempt_at"), table_name="login_backoff")
    op.drop_table("login_backoff")

"""invoicing tables

Revision ID: invoicing_0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db.base

revision: str = "invoicing_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("invoicing",)
depends_on: str | Sequence[str] | None = "0001_core"


def upgrade() -> None:
    op.create_table(
        "invoicing_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_pattern", sa.String(length=60), nullable=False),
        sa.Column("credit_note_pattern", sa.String(length=60), nullable=False),
        sa.Column("quote_pattern", sa.String(length=60), nullable=False),
        sa.Column("number_per_year", sa.Boolean(), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("reminder_days", sa.JSON(), nullable=False),
        sa.Column("brand_colour", sa.String(length=7), nullable=False),
        sa.Column("footer", sa.Text(), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=40), nullable=True),
        sa.Column("smtp", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_settings_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_invoicing_settings")),
    )
    op.create_table(
        "invoicing_document",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("buyer_reference", sa.String(length=100), nullable=True),
        sa.Column("order_reference", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("payment_iban", sa.String(length=34), nullable=True),
        sa.Column("payment_bic", sa.String(length=11), nullable=True),
        sa.Column("credited_id", sa.Uuid(), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("total_lines", core.db.base.Amount(), nullable=False),
        sa.Column("total_allowances", core.db.base.Amount(), nullable=False),
        sa.Column("total_charges", core.db.base.Amount(), nullable=False),
        sa.Column("total_net", core.db.base.Amount(), nullable=False),
        sa.Column("total_vat", core.db.base.Amount(), nullable=False),
        sa.Column("total_gross", core.db.base.Amount(), nullable=False),
        sa.Column("prepaid", core.db.base.Amount(), nullable=False),
        sa.Column("amount_due", core.db.base.Amount(), nullable=False),
        sa.Column("amount_settled", core.db.base.Amount(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("issued_at", core.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", core.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reminder_level", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credited_id"],
            ["invoicing_document.tenant_id", "invoicing_document.id"],
            name=op.f("fk_invoicing_document_tenant_id_credited_id_invoicing_document"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["party.tenant_id", "party.id"],
            name=op.f("fk_invoicing_document_tenant_id_customer_id_party"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_document_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoicing_document")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "number", name=op.f("uq_invoicing_document_tenant_id_kind_number")
        ),
    )
    with op.batch_alter_table("invoicing_document", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoicing_document_customer", ["tenant_id", "customer_id", "issue_date"], unique=False
        )
        batch_op.create_index(
            "ix_invoicing_document_issue_date", ["tenant_id", "issue_date", "id"], unique=False
        )
        batch_op.create_index(
            "ix_invoicing_document_list", ["tenant_id", "kind", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_invoicing_document_state", ["tenant_id", "state", "due_date"], unique=False)

    op.create_table(
        "invoicing_payment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("amount", core.db.base.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=140), nullable=False),
        sa.Column("unallocated", core.db.base.Amount(), nullable=False),
        sa.Column("created_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["party.tenant_id", "party.id"],
            name=op.f("fk_invoicing_payment_tenant_id_customer_id_party"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_payment_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoicing_payment")),
    )
    with op.batch_alter_table("invoicing_payment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoicing_payment_customer", ["tenant_id", "customer_id", "received_on"], unique=False
        )

    op.create_table(
        "invoicing_adjustment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_charge", sa.Boolean(), nullable=False),
        sa.Column("amount", core.db.base.Amount(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("vat_category", sa.String(length=4), nullable=False),
        sa.Column("vat_rate", core.db.base.Amount(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["invoicing_document.tenant_id", "invoicing_document.id"],
            name=op.f("fk_invoicing_adjustment_tenant_id_document_id_invoicing_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_adjustment_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "document_id", "position", name=op.f("pk_invoicing_adjustment")),
    )
    op.create_table(
        "invoicing_allocation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column("amount", core.db.base.Amount(), nullable=False),
        sa.Column("created_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"],
            ["invoicing_document.tenant_id", "invoicing_document.id"],
            name=op.f("fk_invoicing_allocation_tenant_id_credit_note_id_invoicing_document"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoicing_document.tenant_id", "invoicing_document.id"],
            name=op.f("fk_invoicing_allocation_tenant_id_invoice_id_invoicing_document"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "payment_id"],
            ["invoicing_payment.tenant_id", "invoicing_payment.id"],
            name=op.f("fk_invoicing_allocation_tenant_id_payment_id_invoicing_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_allocation_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoicing_allocation")),
    )
    with op.batch_alter_table("invoicing_allocation", schema=None) as batch_op:
        batch_op.create_index("ix_invoicing_allocation_invoice", ["tenant_id", "invoice_id"], unique=False)

    op.create_table(
        "invoicing_file",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["invoicing_document.tenant_id", "invoicing_document.id"],
            name=op.f("fk_invoicing_file_tenant_id_document_id_invoicing_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_file_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "document_id", "kind", name=op.f("pk_invoicing_file")),
    )
    op.create_table(
        "invoicing_line",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", core.db.base.Amount(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("unit_price", core.db.base.Amount(), nullable=False),
        sa.Column("discount", core.db.base.Amount(), nullable=False),
        sa.Column("vat_category", sa.String(length=4), nullable=False),
        sa.Column("vat_rate", core.db.base.Amount(), nullable=False),
        sa.Column("exemption_reason", sa.String(length=200), nullable=True),
        sa.Column("net_amount", core.db.base.Amount(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["invoicing_document.tenant_id", "invoicing_document.id"],
            name=op.f("fk_invoicing_line_tenant_id_document_id_invoicing_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_line_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "document_id", "position", name=op.f("pk_invoicing_line")),
    )
    op.create_table(
        "invoicing_reminder",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("sent_at", core.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["invoicing_document.tenant_id", "invoicing_document.id"],
            name=op.f("fk_invoicing_reminder_tenant_id_document_id_invoicing_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_invoicing_reminder_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "document_id", "level", name=op.f("pk_invoicing_reminder")),
    )


def downgrade() -> None:
    op.drop_table("invoicing_reminder")
    op.drop_table("invoicing_line")
    op.drop_table("invoicing_file")
    with op.batch_alter_table("invoicing_allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_invoicing_allocation_invoice")

    op.drop_table("invoicing_allocation")
    op.drop_table("invoicing_adjustment")
    with op.batch_alter_table("invoicing_payment", schema=None) as batch_op:
        batch_op.drop_index("ix_invoicing_payment_customer")

    op.drop_table("invoicing_payment")
    with op.batch_alter_table("invoicing_document", schema=None) as batch_op:
        batch_op.drop_index("ix_invoicing_document_state")
        batch_op.drop_index("ix_invoicing_document_list")
        batch_op.drop_index("ix_invoicing_document_issue_date")
        batch_op.drop_index("ix_invoicing_document_customer")

    op.drop_table("invoicing_document")
    op.drop_table("invoicing_settings")

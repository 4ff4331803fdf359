"""Invoicing tables. Every one is tenant-owned: ``tenant_id`` leads its key and every foreign key."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Amount, Base, TenantScoped, new_id, utcnow
from modules.invoicing.vocabulary import (
    DocumentKind,
    DocumentState,
    FileKind,
    Frequency,
    PaymentMethod,
    VatCategory,
    check_values,
)

__all__ = [
    "Adjustment",
    "Allocation",
    "Document",
    "DocumentFile",
    "InvoicingSettings",
    "Line",
    "Payment",
    "RecurringPlan",
    "Reminder",
]

_PARTY_FK = (["tenant_id", "customer_id"], ["party.tenant_id", "party.id"])


def _in(column: str, vocabulary: type[StrEnum]) -> CheckConstraint:
    """The database refuses a value of ``column`` outside ``vocabulary`` (named ``ck_<table>_<column>``)."""
    return CheckConstraint(check_values(column, vocabulary), name=column)


def _document_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], ["invoicing_document.tenant_id", "invoicing_document.id"], ondelete="CASCADE"
    )


class InvoicingSettings(TenantScoped, Base):
    """A tenant's numbering, terms, reminders, branding and mail settings (one row per tenant)."""

    __tablename__ = "invoicing_settings"

    invoice_pattern: Mapped[str] = mapped_column(String(60), default="INV-{year}-{number:05d}")
    credit_note_pattern: Mapped[str] = mapped_column(String(60), default="CN-{year}-{number:05d}")
    quote_pattern: Mapped[str] = mapped_column(String(60), default="Q-{year}-{number:05d}")
    number_per_year: Mapped[bool] = mapped_column(default=True)
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [7, 21, 45])
    brand_colour: Mapped[str] = mapped_column(String(7), default="#1b5e3b")
    footer: Mapped[str] = mapped_column(Text, default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_type: Mapped[str | None] = mapped_column(String(40))
    smtp: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    default_vat_category: Mapped[str] = mapped_column(String(2), default="S")
    """The VAT category a new line starts with."""
    default_vat_rate: Mapped[Decimal | None] = mapped_column(Amount())
    """The VAT rate a new line starts with; None: the standard rate of the co-op's country."""


class Document(TenantScoped, Base):
    """An invoice, a credit note or a quote. Issued documents never change; corrections are credit notes."""

    __tablename__ = "invoicing_document"
    __table_args__ = (
        ForeignKeyConstraint(*_PARTY_FK),
        ForeignKeyConstraint(
            ["tenant_id", "credited_id"], ["invoicing_document.tenant_id", "invoicing_document.id"]
        ),
        UniqueConstraint("tenant_id", "kind", "number"),
        Index("ix_invoicing_document_list", "tenant_id", "kind", "created_at", "id"),
        # The list filtered by state (issued, unpaid...) walks this index instead of sorting every
        # document in that state.
        Index("ix_invoicing_document_state_list", "tenant_id", "kind", "state", "created_at", "id"),
        Index("ix_invoicing_document_state", "tenant_id", "state", "due_date"),
        Index("ix_invoicing_document_customer", "tenant_id", "customer_id", "issue_date"),
        Index("ix_invoicing_document_issue_date", "tenant_id", "issue_date", "id"),
        _in("kind", DocumentKind),
        _in("state", DocumentState),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    number: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[uuid.UUID]
    currency: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(8), default="en")
    issue_date: Mapped[date | None]
    due_date: Mapped[date | None]
    delivery_date: Mapped[date | None]
    """BT-72: when the goods or services were supplied (defaults to the issue date where the law needs it)."""
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    buyer_reference: Mapped[str | None] = mapped_column(String(100))
    order_reference: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str] = mapped_column(Text, default="")
    payment_iban: Mapped[str | None] = mapped_column(String(34))
    payment_bic: Mapped[str | None] = mapped_column(String(11))
    credited_id: Mapped[uuid.UUID | None]
    """For a credit note: the invoice it corrects (BT-25)."""
    source_id: Mapped[uuid.UUID | None]
    """For an invoice made from a quote or a recurring plan: where it came from."""
    total_lines: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total_allowances: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total_charges: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total_net: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total_vat: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    total_gross: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    prepaid: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    amount_due: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    """BT-115 at issue."""
    amount_settled: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    """Payments and credit notes allocated to this invoice since."""
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The document as issued (seller, buyer, lines, totals): the legal record."""
    issued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    reminder_level: Mapped[int] = mapped_column(Integer, default=0)
    reminders_paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    """No reminder goes out while set (an invoice in dispute, say); the bookkeeper sets and clears it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def balance(self) -> Decimal:
        """What the customer still owes on it."""
        return self.amount_due - self.amount_settled


class Line(TenantScoped, Base):
    __tablename__ = "invoicing_line"
    __table_args__ = (_document_fk("document_id"), _in("vat_category", VatCategory))

    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Amount())
    unit: Mapped[str] = mapped_column(String(8), default="C62")
    unit_price: Mapped[Decimal] = mapped_column(Amount())
    discount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal(0))
    vat_category: Mapped[str] = mapped_column(String(4), default="S")
    vat_rate: Mapped[Decimal] = mapped_column(Amount())
    exemption_reason: Mapped[str | None] = mapped_column(String(200))
    net_amount: Mapped[Decimal] = mapped_column(Amount())


class Adjustment(TenantScoped, Base):
    """A document-level allowance (discount) or charge."""

    __tablename__ = "invoicing_adjustment"
    __table_args__ = (_document_fk("document_id"), _in("vat_category", VatCategory))

    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    is_charge: Mapped[bool] = mapped_column(default=False)
    amount: Mapped[Decimal] = mapped_column(Amount())
    reason: Mapped[str] = mapped_column(String(200), default="")
    vat_category: Mapped[str] = mapped_column(String(4), default="S")
    vat_rate: Mapped[Decimal] = mapped_column(Amount())


class DocumentFile(TenantScoped, Base):
    """A rendered output of an issued document (PDF, CII, UBL), kept so a reprint is identical."""

    __tablename__ = "invoicing_file"
    __table_args__ = (_document_fk("document_id"), _in("kind", FileKind))

    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(TenantScoped, Base):
    """Money received from a customer; allocated to invoices, the rest held as the customer's credit."""

    __tablename__ = "invoicing_payment"
    __table_args__ = (
        ForeignKeyConstraint(*_PARTY_FK),
        Index("ix_invoicing_payment_customer", "tenant_id", "customer_id", "received_on"),
        _in("method", PaymentMethod),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID]
    received_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(140), default="")
    unallocated: Mapped[Decimal] = mapped_column(Amount())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Allocation(TenantScoped, Base):
    """Part of a payment, or of a credit note, settling an invoice."""

    __tablename__ = "invoicing_allocation"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "payment_id"], ["invoicing_payment.tenant_id", "invoicing_payment.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "credit_note_id"], ["invoicing_document.tenant_id", "invoicing_document.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"], ["invoicing_document.tenant_id", "invoicing_document.id"]
        ),
        Index("ix_invoicing_allocation_invoice", "tenant_id", "invoice_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invoice_id: Mapped[uuid.UUID]
    payment_id: Mapped[uuid.UUID | None]
    credit_note_id: Mapped[uuid.UUID | None]
    amount: Mapped[Decimal] = mapped_column(Amount())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(TenantScoped, Base):
    """A reminder level of an overdue invoice (each level at most once): claimed by the run that sends
    it (``claimed_at``), then marked sent (``sent_at``) once the mail server has taken it."""

    __tablename__ = "invoicing_reminder"
    __table_args__ = (_document_fk("document_id"),)

    document_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    recipient: Mapped[str] = mapped_column(String(254), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)


class RecurringPlan(TenantScoped, Base):
    """An invoice made again every month, quarter or year from a template (``coop invoicing run-recurring``).

    ``next_date`` is the issue date of the next invoice; ``anchor_day`` is the day of the month the plan
    keeps to (31 gives the last day of shorter months). The template holds the invoice's lines,
    adjustments, currency, terms, notes and buyer reference as the API takes them.
    """

    __tablename__ = "invoicing_recurring"
    __table_args__ = (
        ForeignKeyConstraint(*_PARTY_FK),
        Index("ix_invoicing_recurring_due", "tenant_id", "active", "next_date"),
        _in("frequency", Frequency),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[uuid.UUID]
    frequency: Mapped[str] = mapped_column(String(10))
    next_date: Mapped[date]
    anchor_day: Mapped[int] = mapped_column(Integer)
    end_date: Mapped[date | None]
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    auto_issue: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    last_document_id: Mapped[uuid.UUID | None]
    """The last invoice made (a reference only: a draft may have been deleted since)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

"""Reports a bookkeeper hands to the accountant: aged receivables, VAT summary, revenue per customer.

Aged receivables and revenue are aggregated by the database (a tenant may hold 100,000 invoices).
The VAT summary reads each issued document's frozen VAT breakdown (the one printed on it), so the
report always equals the invoices; it streams them and keeps only the running sums.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.dates import check_date
from core.db.base import Amount, amount_sum
from core.models import Party
from modules.invoicing.models import Allocation, Document, Payment
from modules.invoicing.vocabulary import BUCKETS, DocumentKind, DocumentState

__all__ = [
    "AgedCustomer",
    "AgedReceivables",
    "RevenueRow",
    "VatRow",
    "aged_receivables",
    "revenue_by_customer",
    "vat_summary",
    "vat_totals",
]

_ZERO = Decimal(0)


@dataclass(slots=True)
class AgedCustomer:
    customer_id: uuid.UUID
    name: str
    currency: str
    invoices: int
    buckets: dict[str, Decimal]
    total: Decimal


@dataclass(slots=True)
class AgedReceivables:
    on: date
    customers: list[AgedCustomer]
    totals: dict[str, AgedCustomer] = field(default_factory=dict)
    """Per currency: the sums over its customers."""


async def aged_receivables(session: AsyncSession, *, on: date) -> AgedReceivables:
    """What customers owed on ``on``, by how long it was past due.

    An invoice counts when issued on or before ``on``, with what was still unpaid that day: payments
    count from the day they were received, credit notes from their issue date. Amounts are per
    currency and never converted.
    """
    check_date(on, "on")
    credit_note = aliased(Document)
    settled = (
        select(
            Allocation.tenant_id.label("tenant_id"),
            Allocation.invoice_id.label("invoice_id"),
            amount_sum(Allocation.amount).label("settled"),
        )
        .outerjoin(
            Payment, and_(Payment.tenant_id == Allocation.tenant_id, Payment.id == Allocation.payment_id)
        )
        .outerjoin(
            credit_note,
            and_(credit_note.tenant_id == Allocation.tenant_id, credit_note.id == Allocation.credit_note_id),
        )
        .where(or_(Payment.received_on <= on, credit_note.issue_date <= on))
        .group_by(Allocation.tenant_id, Allocation.invoice_id)
        .subquery()
    )
    balance = type_coerce(Document.amount_due - func.coalesce(settled.c.settled, 0), Amount())
    due = func.coalesce(Document.due_date, Document.issue_date)
    bounds = [on - timedelta(days=days) for days in (30, 60, 90)]
    conditions = [
        due >= on,
        and_(due < on, due >= bounds[0]),
        and_(due < bounds[0], due >= bounds[1]),
        and_(due < bounds[1], due >= bounds[2]),
        due < bounds[2],
    ]
    rows = (
        await session.execute(
            select(
                Document.currency,
                Document.customer_id,
                Party.name,
                func.count(Document.id),
                *(amount_sum(case((condition, balance))) for condition in conditions),
                amount_sum(balance),
            )
            .join(Party, and_(Party.tenant_id == Document.tenant_id, Party.id == Document.customer_id))
            .outerjoin(
                settled, and_(settled.c.tenant_id == Document.tenant_id, settled.c.invoice_id == Document.id)
            )
            .where(
                Document.kind == DocumentKind.INVOICE,
                Document.state != DocumentState.DRAFT,
                Document.issue_date <= on,
                balance > 0,
            )
            .group_by(Document.currency, Document.customer_id, Party.name)
            .order_by(Document.currency, Party.name, Document.customer_id)
        )
    ).all()
    report = AgedReceivables(on=on, customers=[])
    for currency, customer_id, name, count, *amounts in rows:
        *parts, total = (amount or _ZERO for amount in amounts)
        customer = AgedCustomer(
            customer_id=customer_id,
            name=name,
            currency=currency,
            invoices=int(count),
            buckets=dict(zip(BUCKETS, parts, strict=True)),
            total=total,
        )
        report.customers.append(customer)
        sums = report.totals.setdefault(
            currency,
            AgedCustomer(
                customer_id=uuid.UUID(int=0),
                name="Total",
                currency=currency,
                invoices=0,
                buckets=dict.fromkeys(BUCKETS, _ZERO),
                total=_ZERO,
            ),
        )
        sums.invoices += customer.invoices
        sums.total += customer.total
        for bucket in BUCKETS:
            sums.buckets[bucket] += customer.buckets[bucket]
    return report


@dataclass(slots=True)
class VatRow:
    """The VAT of one month, currency, category and rate: invoices minus credit notes."""

    period: str
    currency: str
    category: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal
    documents: int


def _rate_key(raw: object) -> Decimal:
    return Decimal(str(raw)).quantize(Decimal("0.01"))


async def vat_summary(session: AsyncSession, *, date_from: date, date_to: date) -> list[VatRow]:
    """The VAT of documents issued from ``date_from`` to ``date_to`` (inclusive), per month, currency,
    VAT category and rate, read from each issued document's own VAT breakdown (BG-23)."""
    statement = (
        select(
            Document.kind,
            Document.currency,
            Document.issue_date,
            Document.snapshot["totals"]["breakdown"],
        )
        .where(
            Document.kind.in_((DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)),
            Document.state != DocumentState.DRAFT,
            Document.issue_date >= date_from,
            Document.issue_date <= date_to,
        )
        .execution_options(yield_per=2000)
    )
    sums: dict[tuple[str, str, str, Decimal], VatRow] = {}
    result = await session.stream(statement)
    async for kind, currency, issued_on, breakdown in result:
        sign = -1 if kind == DocumentKind.CREDIT_NOTE else 1
        period = f"{issued_on:%Y-%m}"
        for entry in breakdown or ():
            key = (period, currency, str(entry["category"]), _rate_key(entry["rate"]))
            row = sums.get(key)
            if row is None:
                row = sums[key] = VatRow(
                    period=period,
                    currency=currency,
                    category=key[2],
                    rate=key[3],
                    taxable=_ZERO,
                    tax=_ZERO,
                    documents=0,
                )
            row.taxable += sign * Decimal(str(entry["taxable"]))
            row.tax += sign * Decimal(str(entry["tax"]))
            row.documents += 1
    return [sums[key] for key in sorted(sums)]


def vat_totals(rows: Sequence[VatRow]) -> list[VatRow]:
    """The rows summed over the periods: one per currency, category and rate."""
    sums: dict[tuple[str, str, Decimal], VatRow] = {}
    for row in rows:
        key = (row.currency, row.category, row.rate)
        total = sums.get(key)
        if total is None:
            total = sums[key] = VatRow("total", row.currency, row.category, row.rate, _ZERO, _ZERO, 0)
        total.taxable += row.taxable
        total.tax += row.tax
        total.documents += row.documents
    return [sums[key] for key in sorted(sums)]


@dataclass(frozen=True, slots=True)
class RevenueRow:
    customer_id: uuid.UUID
    name: str
    currency: str
    invoices: int
    credit_notes: int
    invoiced: Decimal
    """Net (excluding VAT) of the invoices."""
    credited: Decimal
    """Net of the credit notes."""

    @property
    def net(self) -> Decimal:
        return self.invoiced - self.credited


async def revenue_by_customer(session: AsyncSession, *, date_from: date, date_to: date) -> list[RevenueRow]:
    """Net revenue (excluding VAT) per customer and currency from documents issued in the period:
    invoices minus credit notes; the biggest customers first."""
    is_invoice = Document.kind == DocumentKind.INVOICE
    is_credit = Document.kind == DocumentKind.CREDIT_NOTE
    rows = (
        await session.execute(
            select(
                Document.customer_id,
                Party.name,
                Document.currency,
                func.count(case((is_invoice, Document.id))),
                func.count(case((is_credit, Document.id))),
                amount_sum(case((is_invoice, Document.total_net))),
                amount_sum(case((is_credit, Document.total_net))),
            )
            .join(Party, and_(Party.tenant_id == Document.tenant_id, Party.id == Document.customer_id))
            .where(
                Document.kind.in_((DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)),
                Document.state != DocumentState.DRAFT,
                Document.issue_date >= date_from,
                Document.issue_date <= date_to,
            )
            .group_by(Document.customer_id, Party.name, Document.currency)
        )
    ).all()
    revenue = [
        RevenueRow(
            customer_id=customer_id,
            name=name,
            currency=currency,
            invoices=int(invoices),
            credit_notes=int(credit_notes),
            invoiced=invoiced or _ZERO,
            credited=credited or _ZERO,
        )
        for customer_id, name, currency, invoices, credit_notes, invoiced, credited in rows
    ]
    revenue.sort(key=lambda r: (r.currency, -r.net, r.name, str(r.customer_id)))
    return revenue

"""The figures a bookkeeper opens the app for: what is open and overdue, what was invoiced month by
month, and which overdue invoices are the oldest. Amounts are in the co-op's base currency; documents
in other currencies are counted apart (``other_currencies``), never converted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import Amount, amount_sum
from core.models import Party
from modules.invoicing.models import Document
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind, DocumentState

__all__ = ["MonthTotal", "OverdueInvoice", "Overview", "month_start", "overview"]

_ZERO = Decimal(0)
MONTHS = 12
OLDEST = 5


@dataclass(frozen=True, slots=True)
class MonthTotal:
    """Invoiced in one calendar month, net of VAT: invoices less credit notes, by issue date."""

    month: date
    invoiced: Decimal


@dataclass(frozen=True, slots=True)
class OverdueInvoice:
    id: uuid.UUID
    number: str | None
    customer: str
    due_date: date
    balance: Decimal
    days_late: int


@dataclass(frozen=True, slots=True)
class Overview:
    currency: str
    today: date
    open_total: Decimal
    open_count: int
    overdue_total: Decimal
    overdue_count: int
    months: list[MonthTotal]
    """The last ``MONTHS`` months, oldest first, ending with the current month."""
    oldest_overdue: list[OverdueInvoice]
    other_currencies: list[str]

    @property
    def this_month(self) -> Decimal:
        return self.months[-1].invoiced

    @property
    def last_month(self) -> Decimal:
        return self.months[-2].invoiced


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month ``months_back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


async def overview(session: AsyncSession, *, currency: str, today: date) -> Overview:
    """Open and overdue totals, invoiced per month over the last year, and the oldest overdue invoices,
    for the session's co-op in ``currency``."""
    balance = type_coerce(Document.amount_due - Document.amount_settled, Amount())
    is_open = and_(Document.kind == DocumentKind.INVOICE, Document.state.in_(OPEN_STATES), balance > 0)
    is_late = and_(is_open, Document.due_date < today)
    open_count, open_total = (
        await session.execute(
            select(func.count(Document.id), amount_sum(balance, zero=True)).where(
                is_open, Document.currency == currency
            )
        )
    ).one()
    late_count, late_total = (
        await session.execute(
            select(func.count(Document.id), amount_sum(balance, zero=True)).where(
                is_late, Document.currency == currency
            )
        )
    ).one()

    first = month_start(today, MONTHS - 1)
    rows = await session.execute(
        select(Document.issue_date, Document.kind, amount_sum(Document.total_net))
        .where(
            Document.kind.in_((DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)),
            Document.state != DocumentState.DRAFT,
            Document.currency == currency,
            Document.issue_date >= first,
            Document.issue_date <= today,
        )
        .group_by(Document.issue_date, Document.kind)
    )
    by_month = {month_start(today, back): _ZERO for back in range(MONTHS)}
    for issued_on, kind, net in rows:
        if issued_on is None:  # excluded by the query; drafts have no issue date
            continue
        sign = -1 if kind == DocumentKind.CREDIT_NOTE else 1
        by_month[month_start(issued_on)] += sign * (net or _ZERO)

    oldest = await session.execute(
        select(Document.id, Document.number, Party.name, Document.due_date, balance)
        .join(Party, and_(Party.tenant_id == Document.tenant_id, Party.id == Document.customer_id))
        .where(is_late, Document.currency == currency)
        .order_by(Document.due_date, Document.number)
        .limit(OLDEST)
    )
    others = await session.scalars(
        select(Document.currency)
        .where(
            Document.currency != currency,
            Document.state != DocumentState.DRAFT,
            Document.kind != DocumentKind.QUOTE,
        )
        .distinct()
        .order_by(Document.currency)
    )
    return Overview(
        currency=currency,
        today=today,
        open_total=open_total,
        open_count=int(open_count),
        overdue_total=late_total,
        overdue_count=int(late_count),
        months=[MonthTotal(month, by_month[month]) for month in sorted(by_month)],
        oldest_overdue=[
            OverdueInvoice(document_id, number, name, due, owed, (today - due).days)
            for document_id, number, name, due, owed in oldest
            if due is not None
        ],
        other_currencies=list(others),
    )

"""The figures a bookkeeper opens the app for: what is open and overdue, what was invoiced month by
month, and which overdue invoices are the oldest. Amounts are in the co-op's base currency; documents
in other currencies are counted apart (``other_currencies``), never converted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import Amount, amount_sum
from core.models import Party
from modules.invoicing.models import Document
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind, DocumentState

__all__ = [
    "Invoiced",
    "MonthTotal",
    "OverdueInvoice",
    "Receivables",
    "invoiced_by_month",
    "month_start",
    "receivables",
]

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
class Receivables:
    """What customers owe in ``currency`` on ``today``: open and overdue, and the oldest overdue."""

    currency: str
    today: date
    open_total: Decimal
    open_count: int
    overdue_total: Decimal
    overdue_count: int
    oldest_overdue: list[OverdueInvoice]
    other_currencies: list[str]
    """Currencies other documents are in, which these totals leave out."""


@dataclass(frozen=True, slots=True)
class Invoiced:
    currency: str
    months: list[MonthTotal]
    """The last ``MONTHS`` months, oldest first, ending with the current month."""

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


def _balance() -> ColumnElement[Decimal]:
    return type_coerce(Document.amount_due - Document.amount_settled, Amount())


async def receivables(session: AsyncSession, *, currency: str, today: date) -> Receivables:
    """Open and overdue totals and the oldest overdue invoices of the session's co-op in ``currency``."""
    balance = _balance()
    is_open = and_(
        Document.kind == DocumentKind.INVOICE,
        Document.state.in_(OPEN_STATES),
        Document.currency == currency,
        balance > 0,
    )
    is_late = Document.due_date < today
    open_count, open_total, late_count, late_total = (
        await session.execute(
            select(
                func.count(Document.id),
                amount_sum(balance, zero=True),
                func.count(case((is_late, Document.id))),
                amount_sum(case((is_late, balance)), zero=True),
            ).where(is_open)
        )
    ).one()
    oldest = await session.execute(
        select(Document.id, Document.number, Party.name, Document.due_date, balance)
        .join(Party, and_(Party.tenant_id == Document.tenant_id, Party.id == Document.customer_id))
        .where(is_open, is_late)
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
    return Receivables(
        currency=currency,
        today=today,
        open_total=open_total,
        open_count=int(open_count),
        overdue_total=late_total,
        overdue_count=int(late_count),
        oldest_overdue=[
            OverdueInvoice(document_id, number, name, due, owed, (today - due).days)
            for document_id, number, name, due, owed in oldest
            if due is not None
        ],
        other_currencies=list(others),
    )


async def invoiced_by_month(session: AsyncSession, *, currency: str, today: date) -> Invoiced:
    """What was invoiced in ``currency`` in each of the last ``MONTHS`` months, net of VAT and of
    credit notes, by issue date."""
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
    return Invoiced(currency, [MonthTotal(month, by_month[month]) for month in sorted(by_month)])

"""The lists a bookkeeper filters: invoices and payments by the fields people search on, the totals of
what a filter selects, and the customers to choose from. The API and the pages run the same queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import amount_sum
from core.errors import InvalidInput
from core.models import Party
from core.pagination import Page, paginate
from modules.invoicing.models import Allocation, Document, Payment
from modules.invoicing.vocabulary import KINDS, METHODS, STATES

__all__ = [
    "CUSTOMER_CHOICES_LIMIT",
    "CurrencyTotal",
    "Customer",
    "customer_history",
    "customers",
    "document_statement",
    "documents_page",
    "filtered_totals",
    "names_of",
    "payment_statement",
    "settlements_of",
]

CUSTOMER_CHOICES_LIMIT = 1000


def document_statement(
    *,
    parties: tuple[uuid.UUID, ...] | None,
    today: date,
    state: str | None,
    kind: str | None,
    customer_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    overdue: bool,
    q: str | None,
) -> Select[Any]:
    """Invoices matching the filters a bookkeeper uses; ``parties`` (when not None) limits them to
    those parties' issued documents."""
    statement = select(Document)
    if parties is not None:
        statement = statement.where(Document.customer_id.in_(parties), Document.state != "draft")
    if kind:
        if kind not in KINDS:
            raise InvalidInput.field("kind", f"must be one of {', '.join(KINDS)}")
        statement = statement.where(Document.kind == kind)
    if state:
        if state not in STATES:
            raise InvalidInput.field("state", f"must be one of {', '.join(STATES)}")
        statement = statement.where(Document.state == state)
    if customer_id:
        statement = statement.where(Document.customer_id == customer_id)
    if date_from:
        statement = statement.where(Document.issue_date >= date_from)
    if date_to:
        statement = statement.where(Document.issue_date <= date_to)
    if overdue:
        statement = statement.where(
            and_(
                Document.state.in_(("issued", "partially_paid")),
                Document.kind == "invoice",
                Document.due_date < today,
            )
        )
    if q:
        statement = statement.where(
            or_(Document.number.like(f"%{q.strip()}%"), Document.buyer_reference == q)
        )
    return statement


async def documents_page(
    session: AsyncSession, statement: Select[Any], *, limit: int, cursor: str | None
) -> Page[Any]:
    """One page of the documents ``statement`` selects, newest first, as the API and the list page show
    them."""
    return await paginate(
        session,
        statement,
        sort=Document.created_at,
        id_column=Document.id,
        limit=limit,
        cursor=cursor,
        descending=True,
    )


def payment_statement(
    *,
    parties: tuple[uuid.UUID, ...] | None,
    customer_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    method: str | None,
) -> Select[Any]:
    """Payments of a customer, received between two dates, by a method; ``parties`` (when not None)
    limits them to those parties' payments."""
    statement = select(Payment)
    if parties is not None:
        statement = statement.where(Payment.customer_id.in_(parties))
    if customer_id:
        statement = statement.where(Payment.customer_id == customer_id)
    if date_from:
        statement = statement.where(Payment.received_on >= date_from)
    if date_to:
        statement = statement.where(Payment.received_on <= date_to)
    if method:
        if method not in METHODS:
            raise InvalidInput.field("method", f"must be one of {', '.join(METHODS)}")
        statement = statement.where(Payment.method == method)
    return statement


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    count: int
    gross: Decimal
    balance: Decimal


def _open_balance() -> ColumnElement[Any]:
    """What is still owed on a document; nothing on a draft."""
    return case((Document.state == "draft", 0), else_=Document.amount_due - Document.amount_settled)


async def filtered_totals(db: AsyncSession, statement: Select[Any]) -> list[CurrencyTotal]:
    """Count, gross total and open balance of every document ``statement`` selects, per currency."""
    rows = await db.execute(
        statement.with_only_columns(
            Document.currency,
            func.count(Document.id),
            amount_sum(Document.total_gross, zero=True),
            amount_sum(_open_balance(), zero=True),
        )
        .group_by(Document.currency)
        .order_by(Document.currency)
    )
    return [CurrencyTotal(row[0], int(row[1]), row[2], row[3]) for row in rows]


@dataclass(frozen=True, slots=True)
class Customer:
    id: uuid.UUID
    name: str
    country: str | None


async def customers(db: AsyncSession) -> list[Customer]:
    """The parties one can invoice, by name (the first thousand; a co-op rarely has more)."""
    rows = await db.execute(
        select(Party.id, Party.name, Party.country)
        .order_by(Party.name, Party.id)
        .limit(CUSTOMER_CHOICES_LIMIT)
    )
    return [Customer(id=row.id, name=row.name, country=row.country) for row in rows]


async def names_of(db: AsyncSession, party_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of ``party_ids``."""
    if not party_ids:
        return {}
    rows = await db.execute(select(Party.id, Party.name).where(Party.id.in_(set(party_ids))))
    return {row.id: row.name for row in rows}


async def customer_history(
    db: AsyncSession, party_id: uuid.UUID, *, limit: int
) -> tuple[list[Document], list[Payment]]:
    """A customer's latest invoices and credit notes (newest first) and the latest payments it made."""
    documents = await db.scalars(
        select(Document)
        .where(Document.customer_id == party_id, Document.kind.in_(("invoice", "credit_note")))
        .order_by(Document.created_at.desc(), Document.id.desc())
        .limit(limit)
    )
    received = await db.scalars(
        select(Payment)
        .where(Payment.customer_id == party_id)
        .order_by(Payment.received_on.desc(), Payment.created_at.desc())
        .limit(limit)
    )
    return list(documents), list(received)


async def settlements_of(
    db: AsyncSession, document: Document
) -> list[tuple[Allocation, Payment | None, Document | None]]:
    """What settled an invoice (payments and credit notes), or what a credit note settled, oldest first:
    each allocation with its payment or the other document."""
    column = Allocation.credit_note_id if document.kind == "credit_note" else Allocation.invoice_id
    other = Allocation.invoice_id if document.kind == "credit_note" else Allocation.credit_note_id
    rows = await db.execute(
        select(Allocation, Payment, Document)
        .outerjoin(Payment, Payment.id == Allocation.payment_id)
        .outerjoin(Document, Document.id == other)
        .where(column == document.id)
        .order_by(Allocation.created_at, Allocation.id)
    )
    return [(allocation, payment, found) for allocation, payment, found in rows]

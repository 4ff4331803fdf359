"""Money in: payments, their allocation to invoices, and the customer's credit.

A payment is money received from a customer. Allocations move parts of it onto issued invoices;
what is not allocated stays on the payment as the customer's credit, to be applied later. An
invoice's paid state always follows from its allocations (``documents.settle``), never from a flag.

Every invoice an allocation touches is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
serialises writers already), always in the same order (by id), so two payments landing on one
invoice at once can never settle it beyond its balance, and never deadlock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, events
from core.dates import check_date
from core.db.lookup import fetch
from core.errors import InvalidInput, NotFound
from core.models import Party
from core.money import minor_unit, parse_amount
from core.tenants import check_currency
from modules.invoicing.errors import (
    AlreadyPaid,
    DraftNotPayable,
    NoCreditHeld,
    OverAllocated,
    PaymentExhausted,
)
from modules.invoicing.events import PAYMENT_RECORDED, PaymentRecorded
from modules.invoicing.models import Allocation, Document, Payment
from modules.invoicing.services.crediting import settle
from modules.invoicing.vocabulary import METHODS, OPEN_STATES, DocumentKind, DocumentState

__all__ = [
    "AllocationData",
    "PaymentInput",
    "allocate_credit",
    "allocations_of",
    "get_payment",
    "parse_allocation",
    "record_payment",
]

MAX_ALLOCATIONS = 500


@dataclass(frozen=True, slots=True)
class AllocationData:
    invoice_id: uuid.UUID
    amount: Decimal | None = None
    """``None``: as much as the invoice's balance and the money at hand allow."""


@dataclass(frozen=True, slots=True)
class PaymentInput:
    """A payment as a bookkeeper records it.

    - ``invoice_id``: for one invoice; what exceeds its balance is held as credit.
    - ``customer_id`` and ``allocations``: split across the given invoices; the rest is held.
    - ``customer_id`` alone: applied to the customer's open invoices in the payment's currency,
      the oldest due first; the rest is held.
    """

    amount: Decimal
    received_on: date
    method: str
    invoice_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    currency: str | None = None
    reference: str = ""
    allocations: Sequence[AllocationData] | None = None


def parse_allocation(raw: dict[str, Any], field: str) -> AllocationData:
    """An allocation from API data: ``{"invoice_id": ..., "amount": "12.50"}`` (amount optional)."""
    try:
        invoice_id = uuid.UUID(str(raw.get("invoice_id")))
    except ValueError:
        raise InvalidInput.field(f"{field}.invoice_id", "is not an invoice id") from None
    amount = raw.get("amount")
    return AllocationData(
        invoice_id=invoice_id,
        amount=None if amount in (None, "") else parse_amount(amount, field=f"{field}.amount"),
    )


async def get_payment(session: AsyncSession, payment_id: uuid.UUID, *, lock: bool = False) -> Payment:
    statement = select(Payment).where(Payment.id == payment_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(statement)
    if found is None:
        raise NotFound("no such payment")
    return found


async def allocations_of(session: AsyncSession, payment_id: uuid.UUID) -> list[tuple[Allocation, str | None]]:
    """A payment's allocations, oldest first, each with the number of the invoice it settles."""
    rows = await session.execute(
        select(Allocation, Document.number)
        .join(Document, Document.id == Allocation.invoice_id)
        .where(Allocation.payment_id == payment_id)
        .order_by(Allocation.created_at, Allocation.id)
    )
    return [(allocation, number) for allocation, number in rows]


async def _lock_invoices(session: AsyncSession, statement: Select[Document]) -> list[Document]:
    """The invoices of ``statement``, row-locked in id order, with their current values."""
    return list(
        (
            await session.scalars(
                statement.order_by(Document.id).with_for_update().execution_options(populate_existing=True)
            )
        ).all()
    )


def _check_amount(value: Decimal, currency: str, field: str) -> Decimal:
    if value <= 0:
        raise InvalidInput.field(field, "must be more than zero")
    places = minor_unit(currency)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidInput.field(field, f"has more than {places} decimal places for {currency}")
    return value


def _check_open(invoice: Document, customer_id: uuid.UUID, currency: str, field: str) -> None:
    """``invoice`` can take money from this customer's payment in ``currency``."""
    label = invoice.number or "this document"
    if invoice.kind != DocumentKind.INVOICE:
        raise InvalidInput.field(field, f"{label} is a {invoice.kind.replace('_', ' ')}, not an invoice")
    if invoice.state == DocumentState.DRAFT:
        raise DraftNotPayable(label)
    if invoice.customer_id != customer_id:
        raise InvalidInput.field(field, f"{label} is addressed to another customer")
    if invoice.currency != currency:
        raise InvalidInput.field(
            field, f"{label} is in {invoice.currency}; a payment in {currency} cannot settle it"
        )
    if invoice.balance <= 0:
        raise AlreadyPaid(label)


async def _apply(
    session: AsyncSession,
    payment: Payment,
    wanted: Sequence[AllocationData],
    invoices: dict[uuid.UUID, Document],
    *,
    field: str,
    cap_to_balance: bool,
) -> list[tuple[Document, Decimal]]:
    """Allocate parts of ``payment`` to the (locked) invoices; the state of each follows from it."""
    done: list[tuple[Document, Decimal]] = []
    for index, item in enumerate(wanted):
        where = f"{field}[{index}]" if field == "allocations" else field
        invoice = invoices.get(item.invoice_id)
        if invoice is None:
            raise NotFound("no such invoice")
        _check_open(invoice, payment.customer_id, payment.currency, f"{where}.invoice_id")
        if item.amount is None or cap_to_balance:
            amount = min(item.amount or payment.unallocated, invoice.balance, payment.unallocated)
        else:
            amount = _check_amount(item.amount, payment.currency, f"{where}.amount")
            if amount > invoice.balance:
                raise OverAllocated(invoice, amount)
            if amount > payment.unallocated:
                raise PaymentExhausted(payment, amount)
        if amount <= 0:
            continue
        session.add(Allocation(invoice_id=invoice.id, payment_id=payment.id, amount=amount))
        payment.unallocated = payment.unallocated - amount
        await settle(session, invoice, amount)
        done.append((invoice, amount))
    return done


async def record_payment(
    session: AsyncSession, data: PaymentInput, *, today: date, actor_id: uuid.UUID | None
) -> Payment:
    """Record money received and allocate it; publish ``payment.recorded``. The caller commits."""
    if data.method not in METHODS:
        raise InvalidInput.field("method", f"must be one of {', '.join(METHODS)}")
    check_date(data.received_on, "date")
    if data.received_on > today:
        raise InvalidInput.field("date", "a payment cannot be dated in the future")
    reference = data.reference.strip()
    if len(reference) > 140:
        raise InvalidInput.field("reference", "must be at most 140 characters")
    if data.invoice_id is not None and data.allocations is not None:
        raise InvalidInput.field("allocations", "give either invoice_id or allocations, not both")
    if data.allocations is not None and not 1 <= len(data.allocations) <= MAX_ALLOCATIONS:
        raise InvalidInput.field("allocations", f"give 1 to {MAX_ALLOCATIONS} allocations")

    invoices: dict[uuid.UUID, Document]
    wanted: list[AllocationData]
    if data.invoice_id is not None:
        locked = await _lock_invoices(session, select(Document).where(Document.id == data.invoice_id))
        if not locked:
            raise NotFound("no such invoice")
        invoice = locked[0]
        customer_id = invoice.customer_id
        if data.customer_id is not None and data.customer_id != customer_id:
            raise InvalidInput.field(
                "customer_id", f"{invoice.number or 'the invoice'} is another customer's"
            )
        currency = check_currency(data.currency) if data.currency else invoice.currency
        invoices = {invoice.id: invoice}
        wanted = [AllocationData(invoice.id)]
    elif data.customer_id is not None:
        customer_id = (await fetch(session, Party, data.customer_id, what="customer")).id
        if data.allocations is not None:
            ids = {item.invoice_id for item in data.allocations}
            if len(ids) != len(data.allocations):
                raise InvalidInput.field("allocations", "name each invoice once")
            invoices = {
                d.id: d
                for d in await _lock_invoices(session, select(Document).where(Document.id.in_(sorted(ids))))
            }
            currency = check_currency(data.currency) if data.currency else _common_currency(invoices)
            wanted = list(data.allocations)
        else:
            tenant_currency = await _tenant_currency(session)
            currency = check_currency(data.currency or tenant_currency)
            open_invoices = await _lock_invoices(
                session,
                select(Document).where(
                    Document.customer_id == customer_id,
                    Document.kind == DocumentKind.INVOICE,
                    Document.state.in_(OPEN_STATES),
                    Document.currency == currency,
                    Document.amount_due > Document.amount_settled,
                ),
            )
            open_invoices.sort(key=_oldest_due_first)
            invoices = {d.id: d for d in open_invoices}
            wanted = [AllocationData(d.id) for d in open_invoices]
    else:
        raise InvalidInput.field("invoice_id", "give the invoice paid, or the customer who paid")

    amount = _check_amount(data.amount, currency, "amount")
    payment = Payment(
        id=uuid.uuid4(),
        customer_id=customer_id,
        received_on=data.received_on,
        amount=amount,
        currency=currency,
        method=data.method,
        reference=reference,
        unallocated=amount,
    )
    session.add(payment)
    await session.flush()
    done = await _apply(
        session,
        payment,
        wanted,
        invoices,
        field="allocations" if data.allocations is not None else "invoice_id",
        cap_to_balance=data.allocations is None,
    )
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="payment",
        object_id=payment.id,
        action="record",
        changes={
            "customer_id": str(customer_id),
            "amount": str(amount),
            "currency": currency,
            "method": payment.method,
            "received_on": payment.received_on.isoformat(),
            "allocations": {invoice.number: str(part) for invoice, part in done},
            "unallocated": str(payment.unallocated),
        },
    )
    await events.publish(
        session,
        PAYMENT_RECORDED,
        PaymentRecorded(
            payment_id=payment.id,
            customer_id=customer_id,
            amount=amount,
            currency=currency,
            invoice_ids=[invoice.id for invoice, _ in done],
        ),
    )
    return payment


async def allocate_credit(
    session: AsyncSession,
    payment_id: uuid.UUID,
    wanted: Sequence[AllocationData],
    *,
    actor_id: uuid.UUID | None,
) -> Payment:
    """Apply a payment's unallocated amount (the customer's credit) to invoices. The caller commits."""
    if not 1 <= len(wanted) <= MAX_ALLOCATIONS:
        raise InvalidInput.field("allocations", f"give 1 to {MAX_ALLOCATIONS} allocations")
    if len({item.invoice_id for item in wanted}) != len(wanted):
        raise InvalidInput.field("allocations", "name each invoice once")
    payment = await get_payment(session, payment_id, lock=True)
    if payment.unallocated <= 0:
        raise NoCreditHeld()
    ids = [item.invoice_id for item in wanted]
    invoices = {d.id: d for d in await _lock_invoices(session, select(Document).where(Document.id.in_(ids)))}
    done = await _apply(session, payment, wanted, invoices, field="allocations", cap_to_balance=False)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="payment",
        object_id=payment.id,
        action="allocate",
        changes={
            "allocations": {invoice.number: str(part) for invoice, part in done},
            "unallocated": str(payment.unallocated),
        },
    )
    return payment


def _oldest_due_first(invoice: Document) -> tuple[date, date, str]:
    return (
        invoice.due_date or invoice.issue_date or date.max,
        invoice.issue_date or date.max,
        invoice.number or "",
    )


def _common_currency(invoices: dict[uuid.UUID, Document]) -> str:
    currencies = {d.currency for d in invoices.values()}
    if len(currencies) > 1:
        raise InvalidInput.field(
            "allocations", f"the invoices are in {', '.join(sorted(currencies))}; a payment has one currency"
        )
    if not currencies:
        raise NotFound("no such invoice")
    return currencies.pop()


async def _tenant_currency(session: AsyncSession) -> str:
    from core.models import Tenant

    tenant = await session.get_one(Tenant, session.info["tenant_id"])
    return tenant.currency

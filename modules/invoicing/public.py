"""What other modules may ask of invoicing: a member's open invoices and their balances, a payment
against an invoice (paid in mutual credit, say), an invoice raised from lines (membership dues, share
subscriptions). Each call runs in the caller's session and transaction, for the caller's tenant, with
the same rules as the API: an error is one of ``modules.invoicing.errors`` or ``core.errors``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modules.invoicing.models import Document
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.drafts import DraftInput, create_draft
from modules.invoicing.services.issuing import issue_document
from modules.invoicing.services.lines import LineData
from modules.invoicing.services.payments import PaymentInput, record_payment
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind, PaymentMethod

__all__ = ["INVOICING", "InvoiceLine", "InvoiceSummary", "Invoicing", "RecordedPayment", "Service"]

InvoiceLine = LineData
"""A line to invoice: description, quantity, unit price and VAT rate (category ``S`` unless given)."""


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """An invoice as another module needs it: what it is, and what is left to pay on it."""

    id: uuid.UUID
    number: str | None
    state: str
    currency: str
    issue_date: date | None
    due_date: date | None
    amount_due: Decimal
    balance: Decimal

    @classmethod
    def of(cls, document: Document) -> InvoiceSummary:
        return cls(
            id=document.id,
            number=document.number,
            state=document.state,
            currency=document.currency,
            issue_date=document.issue_date,
            due_date=document.due_date,
            amount_due=document.amount_due,
            balance=document.balance,
        )


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    id: uuid.UUID
    amount: Decimal
    unallocated: Decimal
    """What exceeded the invoice's balance, held as the customer's credit."""


class Invoicing(Protocol):
    """The service interface invoicing publishes (``Module.services``)."""

    async def open_invoices(self, session: AsyncSession, customer_id: uuid.UUID) -> list[InvoiceSummary]:
        """The customer's issued invoices with something left to pay, the oldest due first."""
        ...

    async def invoice(self, session: AsyncSession, invoice_id: uuid.UUID) -> InvoiceSummary:
        """One invoice, with its balance; ``NotFound`` for another tenant's."""
        ...

    async def record_payment(
        self,
        session: AsyncSession,
        invoice_id: uuid.UUID,
        amount: Decimal,
        *,
        method: PaymentMethod,
        received_on: date,
        today: date,
        reference: str = "",
        actor_id: uuid.UUID | None = None,
    ) -> RecordedPayment:
        """Money received against one issued invoice; what exceeds its balance is held as credit."""
        ...

    async def raise_invoice(
        self,
        session: AsyncSession,
        customer_id: uuid.UUID,
        lines: Sequence[InvoiceLine],
        *,
        today: date,
        currency: str | None = None,
        notes: str | None = None,
        issue: bool = True,
        actor_id: uuid.UUID | None = None,
    ) -> InvoiceSummary:
        """An invoice for ``customer_id`` from ``lines`` in the tenant's currency unless given, with the
        tenant's terms; issued (numbered) unless ``issue`` is false, which leaves a draft to review."""
        ...


class Service:
    """``Invoicing`` over the services, for the caller's session."""

    async def open_invoices(self, session: AsyncSession, customer_id: uuid.UUID) -> list[InvoiceSummary]:
        documents = await session.scalars(
            select(Document)
            .where(
                Document.customer_id == customer_id,
                Document.kind == DocumentKind.INVOICE,
                Document.state.in_(OPEN_STATES),
            )
            .order_by(Document.due_date, Document.number)
        )
        return [InvoiceSummary.of(document) for document in documents]

    async def invoice(self, session: AsyncSession, invoice_id: uuid.UUID) -> InvoiceSummary:
        return InvoiceSummary.of(await get_document(session, invoice_id))

    async def record_payment(
        self,
        session: AsyncSession,
        invoice_id: uuid.UUID,
        amount: Decimal,
        *,
        method: PaymentMethod,
        received_on: date,
        today: date,
        reference: str = "",
        actor_id: uuid.UUID | None = None,
    ) -> RecordedPayment:
        data = PaymentInput(
            amount=amount, received_on=received_on, method=method, invoice_id=invoice_id, reference=reference
        )
        payment = await record_payment(session, data, today=today, actor_id=actor_id)
        return RecordedPayment(id=payment.id, amount=payment.amount, unallocated=payment.unallocated)

    async def raise_invoice(
        self,
        session: AsyncSession,
        customer_id: uuid.UUID,
        lines: Sequence[InvoiceLine],
        *,
        today: date,
        currency: str | None = None,
        notes: str | None = None,
        issue: bool = True,
        actor_id: uuid.UUID | None = None,
    ) -> InvoiceSummary:
        data = DraftInput(customer_id=customer_id, currency=currency, lines=lines, notes=notes)
        draft = await create_draft(session, data, today=today, actor_id=actor_id)
        document = draft.document
        if issue:
            document = await issue_document(
                session, document.id, today=today, actor_id=actor_id, rows=draft.rows
            )
        return InvoiceSummary.of(document)


INVOICING: Invoicing = Service()
"""The instance a module declaration names."""

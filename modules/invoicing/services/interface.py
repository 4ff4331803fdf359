"""The implementation of ``modules.invoicing.public.Invoicing`` over the services: what
``Module.services`` hands to other modules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from modules.invoicing.models import Document
from modules.invoicing.public import InvoiceLine, InvoiceSummary, Invoicing, RecordedPayment
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.drafts import DraftInput, create_draft
from modules.invoicing.services.issuing import issue_document
from modules.invoicing.services.payments import PaymentInput, record_payment
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind

__all__ = ["INVOICING", "Service", "summary_of"]


def summary_of(document: Document) -> InvoiceSummary:
    return InvoiceSummary(
        id=document.id,
        number=document.number,
        state=document.state,
        currency=document.currency,
        issue_date=document.issue_date,
        due_date=document.due_date,
        amount_due=document.amount_due,
        balance=document.balance,
    )


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
        return [summary_of(document) for document in documents]

    async def invoice(self, session: AsyncSession, invoice_id: uuid.UUID) -> InvoiceSummary:
        return summary_of(await get_document(session, invoice_id))

    async def record_payment(
        self,
        session: AsyncSession,
        invoice_id: uuid.UUID,
        amount: Decimal,
        *,
        method: str,
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
        return summary_of(document)


INVOICING: Invoicing = Service()
"""The instance a module declaration names."""

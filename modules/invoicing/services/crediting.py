"""Settling and crediting: what is paid or credited of an issued invoice, and the state that follows.

An issued invoice is corrected by a credit note, which settles it like a payment.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, events
from core.errors import InvalidInput
from modules.invoicing.errors import CreditExceedsInvoice, NotCreditable
from modules.invoicing.events import INVOICE_PAID, InvoicePaid
from modules.invoicing.models import Allocation, Document
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.drafts import check_notes
from modules.invoicing.services.issuing import issue_document
from modules.invoicing.services.lines import LineData, adjustment_data, line_data, lines_of, write_lines
from modules.invoicing.vocabulary import DocumentKind, DocumentState

__all__ = ["credit_invoice", "settle"]


async def settle(session: AsyncSession, invoice: Document, amount: Decimal) -> None:
    """Record that ``amount`` of an issued invoice is paid or credited; the state follows from it."""
    invoice.amount_settled = invoice.amount_settled + amount
    was_paid = invoice.state == DocumentState.PAID
    if invoice.balance <= 0:
        invoice.state = DocumentState.PAID
    elif invoice.amount_settled > 0:
        invoice.state = DocumentState.PARTIALLY_PAID
    else:
        invoice.state = DocumentState.ISSUED
    if invoice.state == DocumentState.PAID and not was_paid:
        await events.publish(
            session,
            INVOICE_PAID,
            InvoicePaid(document_id=invoice.id, number=invoice.number, customer_id=invoice.customer_id),
        )


async def credit_invoice(
    session: AsyncSession,
    invoice_id: uuid.UUID,
    lines: Sequence[LineData] | None,
    *,
    today: date,
    reason: str,
    actor_id: uuid.UUID | None,
) -> Document:
    """Issue a credit note for an issued invoice: all of it (voiding it), or the given lines.

    The credit note settles the invoice's open balance; what exceeds it stays as the customer's credit.
    """
    check_notes(reason, "reason")
    invoice = await get_document(session, invoice_id, for_update=True)  # concurrent credits queue here
    if invoice.kind != DocumentKind.INVOICE or invoice.state == DocumentState.DRAFT:
        raise NotCreditable()
    previous = await session.scalars(select(Document).where(Document.credited_id == invoice.id))
    already = sum((d.total_gross for d in previous if d.state != DocumentState.DRAFT), Decimal(0))
    if lines is None:
        current, current_adjustments = await lines_of(session, invoice.id)
        lines = [line_data(line) for line in current]
        adjustments = [adjustment_data(a) for a in current_adjustments]
    else:
        adjustments = []
    credit = Document(
        id=uuid.uuid4(),
        kind=DocumentKind.CREDIT_NOTE,
        state=DocumentState.DRAFT,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        language=invoice.language,
        payment_terms_days=0,
        credited_id=invoice.id,
        notes=reason or f"Credit note for {invoice.number}",
        prepaid=Decimal(0),
    )
    session.add(credit)
    written = await write_lines(session, credit, lines, adjustments, fresh=True)
    totals = written.totals
    if totals.gross <= 0:
        raise InvalidInput.field("lines", "a credit note must credit a positive amount")
    if already + totals.gross > invoice.total_gross:
        raise CreditExceedsInvoice(invoice, already)
    await session.flush()
    await issue_document(session, credit.id, today=today, actor_id=actor_id, rows=written.rows)
    applied = min(credit.amount_due, max(invoice.balance, Decimal(0)))
    if applied > 0:
        session.add(Allocation(invoice_id=invoice.id, credit_note_id=credit.id, amount=applied))
        credit.amount_settled = applied
        await settle(session, invoice, applied)
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="invoice",
        object_id=invoice.id,
        action="credit",
        changes={"credit_note": credit.number, "amount": str(totals.gross)},
    )
    return credit

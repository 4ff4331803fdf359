"""Quotes (estimates): written like an invoice, never issued, converted into a draft invoice when accepted.

A quote is a ``Document`` of kind ``quote``: draft → converted. It gets its number from the
``invoicing.quote`` series (the settings' ``quote_pattern``) when it is converted, so a quote that is
never accepted burns no number and accepted quotes are numbered without gaps. The invoice made from it
is an ordinary draft (no number until issued) whose ``source_id`` names the quote.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, sequences
from modules.invoicing.errors import NotAQuote, QuoteAlreadyConverted
from modules.invoicing.models import Document
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.lines import adjustment_data, line_data, lines_of, write_lines
from modules.invoicing.services.settings import get_settings
from modules.invoicing.vocabulary import DocumentKind, DocumentState

__all__ = ["convert_quote"]


async def convert_quote(
    session: AsyncSession, quote_id: uuid.UUID, *, today: date, actor_id: uuid.UUID | None
) -> tuple[Document, Document]:
    """Turn a quote into a new draft invoice with the same customer, lines, adjustments and references.

    Returns ``(quote, invoice)``. Converting a quote twice is a ``Conflict``: the quote's row is moved
    to ``converted`` with a conditional update first, so two concurrent conversions cannot both win.
    """
    quote = await get_document(session, quote_id)
    if quote.kind != DocumentKind.QUOTE:
        raise NotAQuote()
    if quote.state != DocumentState.DRAFT:
        raise QuoteAlreadyConverted(quote.number)
    moved = await session.execute(
        update(Document)
        .where(Document.id == quote.id, Document.state == DocumentState.DRAFT)
        .values(state=DocumentState.CONVERTED)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise QuoteAlreadyConverted(quote.number, concurrently=True)
    await session.refresh(quote)
    lines, adjustments = await lines_of(session, quote.id)
    invoice = Document(
        id=uuid.uuid4(),
        kind=DocumentKind.INVOICE,
        state=DocumentState.DRAFT,
        customer_id=quote.customer_id,
        currency=quote.currency,
        language=quote.language,
        payment_terms_days=quote.payment_terms_days,
        buyer_reference=quote.buyer_reference,
        order_reference=quote.order_reference,
        notes=quote.notes,
        payment_iban=quote.payment_iban,
        payment_bic=quote.payment_bic,
        source_id=quote.id,
        prepaid=Decimal(0),
    )
    session.add(invoice)
    await write_lines(
        session,
        invoice,
        [line_data(line) for line in lines],
        [adjustment_data(a) for a in adjustments],
        fresh=True,
    )
    if quote.number is None:
        settings = await get_settings(session)
        quote.issue_date = quote.issue_date or today
        quote.number = await sequences.next_number(
            session,
            "invoicing.quote",
            settings.quote_pattern,
            on=quote.issue_date,
            per_year=settings.number_per_year,
        )
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="invoice",
        object_id=quote.id,
        action="convert",
        changes={"number": quote.number, "invoice_id": str(invoice.id)},
    )
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="invoice",
        object_id=invoice.id,
        action="create",
        changes={"customer_id": str(invoice.customer_id), "kind": "invoice", "source_id": str(quote.id)},
    )
    return quote, invoice

"""Drafts: created, changed and deleted freely until issued; a draft has no number."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, cast

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.dates import check_date
from core.db.lookup import fetch, hold
from core.db.tenancy import all_tenants, required_tenant_id
from core.errors import InvalidInput, NotFound
from core.identifiers import check_bic, check_iban
from core.models import Party, Tenant
from core.tenants import check_currency
from core.text import check_text
from modules.invoicing.errors import DocumentFrozen
from modules.invoicing.models import Document, InvoicingSettings
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.languages import LANGUAGES
from modules.invoicing.services.line_checks import validate_lines
from modules.invoicing.services.lines import (
    AdjustmentData,
    LineData,
    Rows,
    adjustment_data,
    adjustment_inputs,
    line_data,
    line_inputs,
    lines_of,
    write_lines,
)
from modules.invoicing.services.settings import check_payment_terms, get_settings, settings_found
from modules.invoicing.vocabulary import DocumentKind, DocumentState

__all__ = ["MAX_NOTES", "Draft", "DraftInput", "check_notes", "create_draft", "delete_draft", "update_draft"]

MAX_NOTES = 10_000
"""Characters of a document's notes, as a recurring plan's: printed in one block on the PDF."""


@dataclass(frozen=True, slots=True)
class DraftInput:
    """What a bookkeeper fills in; ``None`` means "keep" on update and "default" on create."""

    customer_id: uuid.UUID | None = None
    currency: str | None = None
    lines: Sequence[LineData] | None = None
    adjustments: Sequence[AdjustmentData] | None = None
    issue_date: date | None = None
    payment_terms_days: int | None = None
    due_date: date | None = None
    delivery_date: date | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    notes: str | None = None
    payment_iban: str | None = None
    payment_bic: str | None = None
    language: str | None = None
    kind: str = "invoice"
    dates_as_given: bool = False
    """On update: take ``issue_date`` and ``due_date`` as given, ``None`` clearing them (a full form),
    instead of ``None`` meaning "keep"."""


class Draft(NamedTuple):
    """A new draft with the rows just written (no need to read them back)."""

    document: Document
    rows: Rows


# What a new draft reads, in one round trip: the customer with the tenant's settings row (None until
# someone changes them). By the whole key, the tenant named by the statement (see ``lines._rows_of``).
_CUSTOMER = (
    select(Party, InvoicingSettings)
    .outerjoin(InvoicingSettings, InvoicingSettings.tenant_id == Party.tenant_id)
    .where(Party.tenant_id == bindparam("tenant_id"), Party.id == bindparam("customer_id"))
    .execution_options(**all_tenants())
)


async def _customer(session: AsyncSession, customer_id: uuid.UUID) -> Party:
    """The customer of a new draft; the tenant's settings come with it (see ``get_settings``)."""
    row = (
        await session.execute(
            _CUSTOMER, {"tenant_id": required_tenant_id(session), "customer_id": customer_id}
        )
    ).first()
    if row is None:
        raise NotFound("no such customer")
    hold(session, row.Party, customer_id)
    settings_found(session, row.InvoicingSettings)
    return cast(Party, row.Party)


def _check_shape(data: DraftInput, currency: str | None) -> None:
    """The line rules a draft must already follow. Whether the parties have the VAT ids a category
    needs is checked at issue: a draft may wait for the customer's details."""
    present = "checked at issue"
    errors = validate_lines(
        line_inputs(data.lines or ()),
        adjustment_inputs(data.adjustments or ()),
        seller_vat_id=present,
        buyer_vat_id=present,
        currency=currency,
    )
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)


async def create_draft(
    session: AsyncSession, data: DraftInput, *, today: date, actor_id: uuid.UUID | None
) -> Draft:
    """A new draft (no number) for a customer party; totals computed from the lines."""
    if data.customer_id is None:
        raise InvalidInput.field("customer_id", "is required")
    if data.kind not in (DocumentKind.INVOICE, DocumentKind.QUOTE):
        raise InvalidInput.field("kind", "a new document is an invoice or a quote")
    _check_typed(data)
    customer = await _customer(session, data.customer_id)
    settings = await get_settings(session)
    tenant = await session.get_one(Tenant, session.info["tenant_id"])
    _check_shape(data, data.currency or tenant.currency)
    terms = data.payment_terms_days if data.payment_terms_days is not None else settings.payment_terms_days
    language = data.language or (customer.locale or tenant.locale or "en").split("_")[0]
    if language not in LANGUAGES:
        language = "en"
    document = Document(
        id=uuid.uuid4(),
        kind=data.kind,
        state=DocumentState.DRAFT,
        customer_id=customer.id,
        currency=check_currency(data.currency or tenant.currency),
        language=language,
        issue_date=data.issue_date,
        due_date=data.due_date,
        delivery_date=data.delivery_date,
        payment_terms_days=terms,
        buyer_reference=_text(data.buyer_reference, 100, "buyer_reference"),
        order_reference=_text(data.order_reference, 100, "order_reference"),
        notes=data.notes or "",
        payment_iban=check_iban(data.payment_iban, "payment_iban") if data.payment_iban else None,
        payment_bic=check_bic(data.payment_bic, "payment_bic") if data.payment_bic else None,
        prepaid=Decimal(0),
    )
    session.add(document)
    await audit.record(  # written by the flush that writes the document
        session,
        actor_id=actor_id,
        object_type="invoice",
        object_id=document.id,
        action="create",
        changes={"customer_id": str(customer.id), "kind": document.kind},
    )
    written = await write_lines(session, document, data.lines or (), data.adjustments or (), fresh=True)
    return Draft(document, written.rows)


def _check_typed(data: DraftInput) -> None:
    """The notes, dates, payment terms and language a person typed (``_text`` checks the references):
    the same on create and on every change, so a draft cannot reach issue with a due date before its
    issue date or one past the calendar."""
    if data.payment_terms_days is not None:
        check_payment_terms(data.payment_terms_days)
    if data.language is not None and data.language not in LANGUAGES:
        raise InvalidInput.field("language", f"must be one of {', '.join(LANGUAGES)}")
    if data.notes is not None:
        check_notes(data.notes)
    for name in ("issue_date", "due_date", "delivery_date"):
        value = getattr(data, name)
        if value is not None:
            check_date(value, name)


def check_notes(notes: str, field: str = "notes") -> str:
    """A document's notes: printable, of a length a PDF lays out in the time a preview is given."""
    check_text(notes, field, lines=True)
    if len(notes) > MAX_NOTES:
        raise InvalidInput.field(field, f"must be at most {MAX_NOTES:,} characters")
    return notes


def _text(value: str | None, limit: int, field: str) -> str | None:
    if value is None:
        return None
    value = check_text(value.strip(), field)
    if len(value) > limit:
        raise InvalidInput.field(field, f"must be at most {limit} characters")
    return value or None


async def update_draft(
    session: AsyncSession, document_id: uuid.UUID, data: DraftInput, *, actor_id: uuid.UUID | None
) -> Document:
    """Change a draft; an issued document is refused (correct it with a credit note)."""
    document = await get_document(session, document_id, for_update=True)
    if document.state != DocumentState.DRAFT:
        raise DocumentFrozen(document, "cannot change")
    _check_typed(data)
    if data.customer_id is not None:
        document.customer_id = (await fetch(session, Party, data.customer_id, what="customer")).id
    if data.currency is not None:
        document.currency = check_currency(data.currency)
    for name in ("issue_date", "due_date", "delivery_date", "notes", "language"):
        value = getattr(data, name)
        if value is not None or (data.dates_as_given and name in ("issue_date", "due_date")):
            setattr(document, name, value)
    if data.payment_terms_days is not None:
        document.payment_terms_days = data.payment_terms_days
    if data.buyer_reference is not None:
        document.buyer_reference = _text(data.buyer_reference, 100, "buyer_reference")
    if data.order_reference is not None:
        document.order_reference = _text(data.order_reference, 100, "order_reference")
    if data.payment_iban is not None:
        document.payment_iban = check_iban(data.payment_iban, "payment_iban") if data.payment_iban else None
    if data.payment_bic is not None:
        document.payment_bic = check_bic(data.payment_bic, "payment_bic") if data.payment_bic else None
    if data.lines is not None or data.adjustments is not None or data.currency is not None:
        current_lines, current_adjustments = await lines_of(session, document.id)
        lines = data.lines if data.lines is not None else [line_data(line) for line in current_lines]
        adjustments = (
            data.adjustments
            if data.adjustments is not None
            else [adjustment_data(a) for a in current_adjustments]
        )
        _check_shape(DraftInput(lines=lines, adjustments=adjustments), document.currency)
        await write_lines(session, document, lines, adjustments)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, object_type="invoice", object_id=document.id, action="update"
    )
    return document


async def delete_draft(session: AsyncSession, document_id: uuid.UUID, *, actor_id: uuid.UUID | None) -> None:
    """Delete a draft; issued documents are never deleted."""
    document = await get_document(session, document_id, for_update=True)
    if document.state != DocumentState.DRAFT:
        raise DocumentFrozen(document, "is never deleted")
    await session.delete(document)
    await session.flush()
    await audit.record(
        session, actor_id=actor_id, object_type="invoice", object_id=document_id, action="delete"
    )

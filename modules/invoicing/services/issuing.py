"""Issuing: a draft is checked against EN 16931, numbered from its gapless series and frozen."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, events, sequences
from core.db.base import utcnow
from core.db.lookup import fetch, hold
from core.db.tenancy import all_tenants, required_tenant_id
from core.errors import InvalidInput, NotFound
from core.models import Party, Tenant
from modules.invoicing.errors import AlreadyIssued, QuoteNotIssued
from modules.invoicing.events import CREDIT_NOTE_ISSUED, INVOICE_ISSUED, DocumentIssued
from modules.invoicing.models import Document, InvoicingSettings
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.line_checks import validate_lines
from modules.invoicing.services.lines import Rows, adjustment_inputs, line_inputs, line_snapshot, lines_of
from modules.invoicing.services.settings import get_settings, settings_found
from modules.invoicing.services.snapshots import (
    AddressSnapshot,
    AdjustmentSnapshot,
    Branding,
    InvoiceSnapshot,
    PartySnapshot,
    snapshot_from_json,
    snapshot_to_json,
)
from modules.invoicing.services.totals import compute_totals
from modules.invoicing.vocabulary import DocumentKind, DocumentState

__all__ = ["check_issuable", "issue_document", "snapshot_for", "snapshot_of"]

# What issuing a stored draft reads besides its lines, in one round trip: the draft (locked) with its
# customer and the tenant's settings row. By the whole key, the tenant named by the statement.
_DRAFT_TO_ISSUE = (
    select(Document, Party, InvoicingSettings)
    .join(Party, (Party.tenant_id == Document.tenant_id) & (Party.id == Document.customer_id))
    .outerjoin(InvoicingSettings, InvoicingSettings.tenant_id == Document.tenant_id)
    .where(Document.tenant_id == bindparam("tenant_id"), Document.id == bindparam("document_id"))
    .with_for_update(of=Document)
    .execution_options(populate_existing=True, **all_tenants())
)


async def _draft_to_issue(session: AsyncSession, document_id: uuid.UUID) -> Document:
    """The stored document, locked, with its customer and the tenant's settings (see ``_customer``)."""
    key = {"tenant_id": required_tenant_id(session), "document_id": document_id}
    row = (await session.execute(_DRAFT_TO_ISSUE, key)).first()
    if row is None:
        raise NotFound("no such invoice")
    hold(session, row.Document, document_id)
    hold(session, row.Party, row.Party.id)
    settings_found(session, row.InvoicingSettings)
    return cast(Document, row.Document)


def _address(data: dict[str, Any]) -> AddressSnapshot:
    return AddressSnapshot(
        **{k: data.get(k) for k in ("line1", "line2", "postcode", "city", "region", "country")}
    )


async def snapshot_of(
    session: AsyncSession,
    document: Document,
    *,
    number: str | None,
    settings: InvoicingSettings | None = None,
    rows: Rows | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
) -> InvoiceSnapshot:
    """The document as it would be (or was) issued: seller, buyer, lines and totals, frozen.
    ``issue_date``, ``due_date``: the dates it is being issued with, when not yet on the document."""
    tenant = await session.get_one(Tenant, document.tenant_id)
    customer = await fetch(session, Party, document.customer_id, what="customer")
    settings = settings or await get_settings(session)
    lines, adjustments = rows if rows is not None else await lines_of(session, document.id)
    totals = compute_totals(
        line_inputs(lines),
        adjustment_inputs(adjustments),
        currency=document.currency,
        prepaid=document.prepaid,
    )
    preceding_number = preceding_date = None
    if document.credited_id is not None:
        credited = await get_document(session, document.credited_id)
        preceding_number, preceding_date = credited.number, credited.issue_date
    logo = None
    if settings.logo and settings.logo_type:
        logo = f"data:{settings.logo_type};base64,{base64.b64encode(settings.logo).decode()}"
    # An intra-community supply or export, on a line or on a charge, names the delivery (BR-IC-11/12).
    crossing = ("K", "G")
    crosses_border = any(line.vat_category in crossing for line in lines) or any(
        a.vat_category in crossing for a in adjustments
    )
    issue_date = issue_date or document.issue_date or date.today()  # noqa: DTZ011 - previews only
    due_date = due_date or document.due_date or issue_date + timedelta(days=document.payment_terms_days)
    return InvoiceSnapshot(
        kind=document.kind,
        number=number,
        issue_date=issue_date,
        currency=document.currency,
        language=document.language,
        seller=PartySnapshot(
            name=tenant.legal_name or tenant.name,
            address=_address(tenant.address or {}),
            vat_id=tenant.vat_id,
            company_id=tenant.company_id,
            email=tenant.email,
        ),
        buyer=PartySnapshot(
            name=customer.name,
            address=_address(
                {
                    "line1": customer.address_line1,
                    "line2": customer.address_line2,
                    "postcode": customer.postcode,
                    "city": customer.city,
                    "region": customer.region,
                    "country": customer.country,
                }
            ),
            vat_id=customer.vat_id,
            company_id=customer.company_id,
            email=customer.email,
        ),
        lines=tuple(
            line_snapshot(line, position=line.position, net_amount=totals.line_nets[index])
            for index, line in enumerate(lines)
        ),
        totals=totals,
        adjustments=tuple(
            AdjustmentSnapshot(
                is_charge=a.is_charge,
                amount=a.amount,
                reason=a.reason,
                vat_category=a.vat_category,
                vat_rate=a.vat_rate,
            )
            for a in adjustments
        ),
        due_date=due_date if document.kind == DocumentKind.INVOICE else None,
        payment_terms=f"{document.payment_terms_days} days"
        if document.kind == DocumentKind.INVOICE
        else None,
        buyer_reference=document.buyer_reference,
        order_reference=document.order_reference,
        notes=document.notes or None,
        payment_iban=document.payment_iban or tenant.iban,
        payment_bic=document.payment_bic or tenant.bic,
        payment_reference=number,
        preceding_number=preceding_number,
        preceding_date=preceding_date,
        delivery_date=document.delivery_date or (issue_date if crosses_border else None),
        deliver_to_country=customer.country if crosses_border else None,
        branding=Branding(colour=settings.brand_colour, footer=settings.footer, logo_data_uri=logo),
    )


def check_issuable(snapshot: InvoiceSnapshot) -> None:
    """The EN 16931 rules a person can fix before issuing, named by the field to fix."""
    errors: list[dict[str, str]] = []
    if not snapshot.lines:
        errors.append({"field": "lines", "message": "an invoice needs at least one line (BR-16)"})
    if not snapshot.seller.address.country:
        errors.append(
            {"field": "seller.address.country", "message": "set your co-op's country in its settings (BR-09)"}
        )
    if not snapshot.buyer.address.country:
        errors.append(
            {"field": "customer.address.country", "message": "the customer needs a country (BR-11)"}
        )
    if any(line.vat_category == "S" for line in snapshot.lines) and not snapshot.seller.vat_id:
        errors.append(
            {
                "field": "seller.vat_id",
                "message": "standard-rated lines need your co-op's VAT number in its settings (BR-S-02)",
            }
        )
    errors += validate_lines(
        line_inputs(snapshot.lines),
        adjustment_inputs(snapshot.adjustments),
        seller_vat_id=snapshot.seller.vat_id,
        buyer_vat_id=snapshot.buyer.vat_id,
        currency=snapshot.currency,
    )
    if errors:
        raise InvalidInput(
            "cannot issue: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors
        )


async def issue_document(
    session: AsyncSession,
    document_id: uuid.UUID,
    *,
    today: date,
    actor_id: uuid.UUID | None,
    rows: Rows | None = None,
) -> Document:
    """Issue a draft: check it, give it the next number of its series, freeze it, tell other modules.

    ``rows``: the draft's lines and adjustments when the caller has just written them. The number is
    taken last, once everything else of the transaction is written, by the statement that also writes
    the document's new state, dates and snapshot and the audit entry naming the number, so the series'
    lock is held from that statement to the commit. The frozen snapshot leaves the number
    out: it is the document's ``number`` (``snapshot_from_json``). The draft is locked first, so two
    concurrent issues of one draft give one number and one refusal, never a burnt number.
    """
    # A draft the caller has just written in this transaction is nobody else's to issue yet.
    document = await (
        get_document(session, document_id) if rows is not None else _draft_to_issue(session, document_id)
    )
    if document.state != DocumentState.DRAFT:
        raise AlreadyIssued(document)
    if document.kind == DocumentKind.QUOTE:
        raise QuoteNotIssued()
    issue_date = document.issue_date or today
    due_date = None
    if document.kind != DocumentKind.CREDIT_NOTE:
        due_date = document.due_date or issue_date + timedelta(days=document.payment_terms_days)
    settings = await get_settings(session)
    draft = await snapshot_of(
        session, document, number=None, settings=settings, rows=rows, issue_date=issue_date, due_date=due_date
    )
    check_issuable(draft)
    await session.flush()  # what else the transaction wrote (a new draft, its lines), before the lock
    pattern = (
        settings.credit_note_pattern
        if document.kind == DocumentKind.CREDIT_NOTE
        else settings.invoice_pattern
    )
    await sequences.assign_number(
        session,
        document,
        Document.number,
        f"invoicing.{document.kind}",
        pattern,
        on=issue_date,
        per_year=settings.number_per_year,
        values={
            "state": DocumentState.ISSUED,
            "issue_date": issue_date,
            "due_date": due_date,
            "snapshot": snapshot_to_json(draft),
            "issued_at": utcnow(),
        },
        log=audit.Entry(
            actor_id, "invoice", document.id, "issue", {"total_gross": str(document.total_gross)}
        ),
    )
    issued = CREDIT_NOTE_ISSUED if document.kind == DocumentKind.CREDIT_NOTE else INVOICE_ISSUED
    await events.publish(
        session,
        issued,
        DocumentIssued(
            document_id=document.id,
            number=document.number,
            customer_id=document.customer_id,
            currency=document.currency,
            amount_due=document.amount_due,
        ),
    )
    return document


async def snapshot_for(db: AsyncSession, document: Document) -> InvoiceSnapshot:
    """What a document says: its frozen snapshot once issued, else what issuing it now would freeze."""
    if document.snapshot is not None:
        return snapshot_from_json(document.snapshot, number=document.number)
    return await snapshot_of(db, document, number=None)

"""One invoice or credit note: its lines, totals and VAT, what settled it, and what can be done next
(issue, download, credit, record a payment, delete a draft)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import parties
from core.errors import DomainError, InvalidInput
from core.money import parse_amount
from core.tenants import TenantContext
from core.web.shell import field_errors, form_data, redirect
from modules.invoicing.api import readable, readable_document
from modules.invoicing.models import Allocation, Document, Payment
from modules.invoicing.services import payments, quotes, sending
from modules.invoicing.services.crediting import credit_invoice
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.drafts import delete_draft
from modules.invoicing.services.files import stored_pdf
from modules.invoicing.services.issuing import issue_document
from modules.invoicing.services.lines import (
    LineData,
    StoredAdjustment,
    StoredLine,
    adjustment_inputs,
    line_inputs,
    lines_of,
)
from modules.invoicing.services.reminders import pause_reminders, reminders_sent
from modules.invoicing.services.snapshots import snapshot_from_json
from modules.invoicing.services.totals import Totals, compute_totals, document_places
from modules.invoicing.vocabulary import METHOD_LABELS, OPEN_STATES
from modules.invoicing.web_common import amount_text, page, parse_date

__all__ = ["DOCUMENT_PAGES"]


def _totals_of(
    document: Document, lines: Sequence[StoredLine], adjustments: Sequence[StoredAdjustment]
) -> Totals:
    """The totals as issued (from the stored snapshot), or as they stand on a draft."""
    if document.snapshot is not None:
        return snapshot_from_json(document.snapshot).totals
    return compute_totals(
        line_inputs(lines),
        adjustment_inputs(adjustments),
        currency=document.currency,
        prepaid=document.prepaid,
    )


async def _settlements(db: AsyncSession, document: Document) -> list[dict[str, Any]]:
    """What settled an invoice (payments and credit notes), or what a credit note settled."""
    column = Allocation.credit_note_id if document.kind == "credit_note" else Allocation.invoice_id
    rows = await db.execute(
        select(Allocation, Payment, Document)
        .outerjoin(Payment, Payment.id == Allocation.payment_id)
        .outerjoin(
            Document,
            Document.id
            == (Allocation.invoice_id if document.kind == "credit_note" else Allocation.credit_note_id),
        )
        .where(column == document.id)
        .order_by(Allocation.created_at, Allocation.id)
    )
    found = []
    for allocation, payment, other in rows:
        found.append(
            {
                "amount": allocation.amount,
                "on": payment.received_on if payment else (other.issue_date if other else None),
                "payment": payment,
                "method": METHOD_LABELS.get(payment.method, payment.method) if payment else None,
                "document": other,
            }
        )
    return found


async def _document_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    document_id: uuid.UUID,
    *,
    status: int = 200,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    payment_form: dict[str, str] | None = None,
    send_form: dict[str, str] | None = None,
    send_errors: dict[str, str] | None = None,
    credit_form: dict[str, str] | None = None,
    credit_errors: dict[str, str] | None = None,
    reminder_form: dict[str, str] | None = None,
    reminder_errors: dict[str, str] | None = None,
) -> Response[Any]:
    document = await readable_document(db, ctx, document_id)
    lines, adjustments = await lines_of(db, document.id)
    staff = readable(ctx) is None
    credit_notes: list[Document] = []
    credited: Document | None = None
    if document.kind == "invoice" and document.state != "draft":
        found = await db.scalars(
            select(Document)
            .where(Document.credited_id == document.id, Document.state != "draft")
            .order_by(Document.created_at)
        )
        credit_notes = list(found)
    if document.credited_id is not None:
        credited = await db.scalar(select(Document).where(Document.id == document.credited_id))
    customer = await parties.get_party(db, document.customer_id)
    api = f"/api/v1/tenants/{ctx.slug}/invoices/{document.id}"
    totals = _totals_of(document, lines, adjustments)
    return await page(
        request,
        db,
        ctx,
        "invoicing/document.html",
        status=status,
        document=document,
        customer=customer,
        lines=lines,
        adjustments=adjustments,
        totals=totals,
        credit_notes=credit_notes,
        credited=credited,
        settlements=await _settlements(db, document) if document.state != "draft" else [],
        staff=staff,
        api=api,
        error=error,
        errors=errors or {},
        payment_form=payment_form or {"date": ctx.today().isoformat(), "method": "bank_transfer"},
        methods=METHOD_LABELS,
        send_form=send_form or {},
        send_errors=send_errors or {},
        credit_form=credit_form or {},
        credit_errors=credit_errors or {},
        credit_rates=[_rate_key(b.category, b.rate) for b in totals.breakdown],
        reminders=await reminders_sent(db, document.id) if staff and document.kind == "invoice" else [],
        open_states=OPEN_STATES,
        reminder_form=reminder_form or {},
        reminder_errors=reminder_errors or {},
    )


def _rate_key(category: str, rate: Decimal) -> str:
    """A VAT category and rate as one choice of the partial credit form (``S:20``)."""
    return f"{category}:{format(rate.normalize(), 'f')}"


@get("/invoices/{document_id:uuid}", opt={"permission": None})
async def show_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """An invoice or credit note; a member sees only its own, once issued."""
    return await _document_page(request, db, ctx, document_id)


@post("/invoices/{document_id:uuid}/issue", opt={"permission": "invoicing.issue"})
async def issue_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Issue a draft: it takes the next number and never changes again."""
    try:
        document = await issue_document(db, document_id, today=ctx.today(), actor_id=ctx.user_id)
    except InvalidInput as exc:
        await db.rollback()
        problems = [f"{e['message']}" for e in exc.errors] or [exc.detail]
        return await _document_page(
            request, db, ctx, document_id, status=422, error="Cannot issue yet: " + "; ".join(problems)
        )
    except DomainError as exc:
        await db.rollback()
        return await _document_page(request, db, ctx, document_id, status=exc.status, error=exc.detail)
    number = document.number
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}/invoices/{document_id}", notice=f"Issued as {number}.")


@post("/invoices/{document_id:uuid}/reminders", opt={"permission": "invoicing.payments"})
async def pause_or_resume_reminders(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Pause an unpaid invoice's reminders (with a reason for the audit log), or resume them."""
    form = await form_data(request)
    paused = form.get("paused") == "true"
    try:
        await pause_reminders(
            db, document_id, paused=paused, reason=form.get("reason", ""), actor_id=ctx.user_id
        )
    except InvalidInput as exc:
        await db.rollback()
        return await _document_page(
            request, db, ctx, document_id, status=422, reminder_form=form, reminder_errors=field_errors(exc)
        )
    except DomainError as exc:
        await db.rollback()
        return await _document_page(request, db, ctx, document_id, status=exc.status, error=exc.detail)
    await db.commit()
    notice = (
        "Reminders are paused for this invoice." if paused else "Reminders go out again for this invoice."
    )
    return redirect(request, f"/t/{ctx.slug}/invoices/{document_id}#reminders", notice=notice)


@post("/invoices/{document_id:uuid}/credit", opt={"permission": "invoicing.issue"})
async def credit_in_full(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Issue a credit note for the whole invoice (what is still open on it is settled by it)."""
    form = await form_data(request)
    reason = form.get("reason", "")[:500]
    try:
        credit = await credit_invoice(
            db, document_id, None, today=ctx.today(), reason=reason, actor_id=ctx.user_id
        )
    except DomainError as exc:
        await db.rollback()
        return await _document_page(request, db, ctx, document_id, status=exc.status, error=exc.detail)
    credit_id, number = credit.id, credit.number
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}/invoices/{credit_id}", notice=f"Credit note {number} issued.")


def _credit_amount(
    raw: str, field: str, currency: str, errors: dict[str, str], *, most: Decimal | None = None
) -> Decimal | None:
    """A positive amount of the form (excluding VAT), at most ``most``; an empty field is no amount."""
    if not raw:
        return None
    try:
        value = parse_amount(raw.replace(",", "."), field=field, places=document_places(currency))
    except InvalidInput as exc:
        errors.update(field_errors(exc))
        return None
    if value <= 0:
        errors[field] = "must be more than zero"
        return None
    if most is not None and value > most:
        errors[field] = f"must be at most {amount_text(most, currency)}, the line's net amount"
        return None
    return value


async def _partial_credit_lines(
    db: AsyncSession, document: Document, form: dict[str, str], errors: dict[str, str]
) -> list[LineData]:
    """The credit note's lines the form asks for: part or all of chosen lines, and one line of an
    amount at one of the invoice's VAT rates."""
    currency = document.currency
    lines, adjustments = await lines_of(db, document.id)
    chosen: list[LineData] = []
    for line in lines:
        field = f"line-{line.position}"
        amount = _credit_amount(form.get(field, ""), field, currency, errors, most=line.net_amount)
        if amount is None:
            continue
        if amount == line.net_amount:  # the whole line, as it was invoiced
            chosen.append(
                LineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    vat_rate=line.vat_rate,
                    vat_category=line.vat_category,
                    unit=line.unit,
                    discount=line.discount,
                    exemption_reason=line.exemption_reason,
                )
            )
        else:
            chosen.append(
                LineData(
                    description=line.description,
                    quantity=Decimal(1),
                    unit_price=amount,
                    vat_rate=line.vat_rate,
                    vat_category=line.vat_category,
                    exemption_reason=line.exemption_reason,
                )
            )
    amount = _credit_amount(form.get("amount", ""), "amount", currency, errors)
    if amount is not None:
        breakdown = {
            _rate_key(b.category, b.rate): b for b in _totals_of(document, lines, adjustments).breakdown
        }
        vat = breakdown.get(form.get("amount_vat", ""))
        if vat is None:
            errors["amount_vat"] = "choose one of the invoice's VAT rates"
        else:
            chosen.append(
                LineData(
                    description=form.get("amount_description", "")[:500] or form.get("reason", "")[:500],
                    quantity=Decimal(1),
                    unit_price=amount,
                    vat_rate=vat.rate,
                    vat_category=vat.category,
                    exemption_reason=vat.exemption_reason,
                )
            )
    if not chosen and not errors:
        errors["lines"] = "enter an amount to credit on a line, or an amount below"
    return chosen


@post("/invoices/{document_id:uuid}/credit-part", opt={"permission": "invoicing.issue"})
async def credit_in_part(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Issue a credit note for part of the invoice: amounts of chosen lines, or one amount at one of its
    VAT rates, with the reason printed on it. It settles what is still open on the invoice."""
    form = await form_data(request)
    errors: dict[str, str] = {}
    document = await get_document(db, document_id)
    reason = form.get("reason", "")[:500]
    if not reason:
        errors["reason"] = "say why the invoice is credited; it is printed on the credit note"
    if len(form.get("amount_description", "")) > 500:
        errors["amount_description"] = "must be at most 500 characters"
    lines = await _partial_credit_lines(db, document, form, errors)
    if not errors:
        try:
            credit = await credit_invoice(
                db, document_id, lines, today=ctx.today(), reason=reason, actor_id=ctx.user_id
            )
        except InvalidInput as exc:
            await db.rollback()
            errors = {"lines" if k.startswith("lines") else k: v for k, v in field_errors(exc).items()}
            errors = errors or {"lines": exc.detail}
        except DomainError as exc:
            await db.rollback()
            return await _document_page(
                request, db, ctx, document_id, status=exc.status, error=exc.detail, credit_form=form
            )
        else:
            credit_id, number = credit.id, credit.number
            await db.commit()
            return redirect(
                request, f"/t/{ctx.slug}/invoices/{credit_id}", notice=f"Credit note {number} issued."
            )
    return await _document_page(
        request,
        db,
        ctx,
        document_id,
        status=422,
        error="The credit note was not issued; see below.",
        credit_form=form,
        credit_errors=errors,
    )


@post("/invoices/{document_id:uuid}/delete", opt={"permission": "invoicing.manage"})
async def delete_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Delete a draft (an issued document is never deleted)."""
    try:
        await delete_draft(db, document_id, actor_id=ctx.user_id)
    except DomainError as exc:
        await db.rollback()
        return await _document_page(request, db, ctx, document_id, status=exc.status, error=exc.detail)
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}/invoices", notice="The draft is deleted.")


@post("/invoices/{document_id:uuid}/payments", opt={"permission": "invoicing.payments"})
async def record_payment(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Record money received for this invoice; what exceeds its balance is held as the customer's credit."""
    form = await form_data(request)
    errors: dict[str, str] = {}
    received_on = parse_date(form.get("date", ""), "date", errors)
    if not form.get("date"):
        errors["date"] = "is required"
    amount = Decimal(0)
    try:
        amount = parse_amount(form.get("amount", "").replace(",", "."), field="amount")
    except InvalidInput as exc:
        errors.update(field_errors(exc))
    if form.get("method") not in METHOD_LABELS:
        errors["method"] = "choose how it was paid"
    if not errors:
        try:
            await payments.record_payment(
                db,
                payments.PaymentInput(
                    amount=amount,
                    received_on=received_on or date.min,
                    method=form["method"],
                    invoice_id=document_id,
                    reference=form.get("reference", ""),
                ),
                today=ctx.today(),
                actor_id=ctx.user_id,
            )
        except InvalidInput as exc:
            await db.rollback()
            errors = {("date" if k == "received_on" else k): v for k, v in field_errors(exc).items()}
        except DomainError as exc:
            await db.rollback()
            return await _document_page(
                request, db, ctx, document_id, status=exc.status, error=exc.detail, payment_form=form
            )
        else:
            await db.commit()
            return redirect(
                request, f"/t/{ctx.slug}/invoices/{document_id}", notice="The payment is recorded."
            )
    return await _document_page(
        request,
        db,
        ctx,
        document_id,
        status=422,
        errors=errors,
        error="The payment was not recorded; see below.",
        payment_form=form,
    )


@post("/invoices/{document_id:uuid}/send", opt={"permission": "invoicing.issue"})
async def send_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """E-mail an issued document with its PDF (the stored one every download returns)."""
    form = await form_data(request)
    to = [address for address in re.split(r"[,;\s]+", form.get("to", "")) if address]
    await get_document(db, document_id)
    await db.rollback()  # no transaction open while the PDF renders and the mail server answers
    database = request.app.state.db

    async def make_pdf(document: Document) -> bytes:
        return await stored_pdf(database, document)

    try:
        sent = await sending.send_document(
            database,
            request.app.state.settings,
            ctx.tenant_id,
            document_id,
            make_pdf=make_pdf,
            to=to or None,
            message=form.get("message") or None,
            actor_id=ctx.user_id,
        )
    except InvalidInput as exc:
        errors = {("to" if k.startswith("to") else k): v for k, v in field_errors(exc).items()}
        return await _document_page(
            request, db, ctx, document_id, status=422, error=exc.detail, send_errors=errors, send_form=form
        )
    except DomainError as exc:
        return await _document_page(
            request, db, ctx, document_id, status=exc.status, error=exc.detail, send_form=form
        )
    target = f"/t/{ctx.slug}/invoices/{document_id}"
    return redirect(request, target, notice=f"Sent to {', '.join(sent.recipients)}.")


@post("/invoices/{document_id:uuid}/convert", opt={"permission": "invoicing.manage"})
async def convert_quote(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Turn a quote into a draft invoice with the same customer and lines, opened in the editor."""
    try:
        quote, invoice = await quotes.convert_quote(db, document_id, today=ctx.today(), actor_id=ctx.user_id)
    except DomainError as exc:
        await db.rollback()
        return await _document_page(request, db, ctx, document_id, status=exc.status, error=exc.detail)
    invoice_id, number = invoice.id, quote.number
    await db.commit()
    return redirect(
        request,
        f"/t/{ctx.slug}/invoices/{invoice_id}/edit",
        notice=f"Quote {number} is now this draft invoice; check it, save it and issue it.",
    )


DOCUMENT_PAGES = [
    show_invoice,
    issue_invoice,
    credit_in_full,
    credit_in_part,
    delete_invoice,
    record_payment,
    send_invoice,
    convert_quote,
    pause_or_resume_reminders,
]

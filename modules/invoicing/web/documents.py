"""One invoice or credit note: its lines, totals and VAT, what settled it, and what can be done next
(issue, download, credit, record a payment, delete a draft)."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from core import parties
from core.errors import DomainError, InvalidInput
from core.money import parse_amount
from core.tenants import TenantContext
from core.web.shell import field_errors, form_data, redirect
from modules.invoicing.models import Document
from modules.invoicing.services import access, payments, quotes, search, sending
from modules.invoicing.services.credit_notes import (
    credit_notes_of,
    credited_invoice,
    document_totals,
    rate_key,
)
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.drafts import delete_draft
from modules.invoicing.services.issuing import issue_document
from modules.invoicing.services.lines import lines_of
from modules.invoicing.services.reminders import pause_reminders, reminders_sent
from modules.invoicing.vocabulary import METHOD_LABELS, OPEN_STATES
from modules.invoicing.web.layout import page, parse_date

__all__ = ["DOCUMENT_PAGES", "document_page", "refused"]


async def _settlements(db: AsyncSession, document: Document) -> list[dict[str, Any]]:
    """What settled an invoice (payments and credit notes), or what a credit note settled, as shown."""
    return [
        {
            "amount": allocation.amount,
            "on": payment.received_on if payment else (other.issue_date if other else None),
            "payment": payment,
            "method": METHOD_LABELS.get(payment.method, payment.method) if payment else None,
            "document": other,
        }
        for allocation, payment, other in await search.settlements_of(db, document)
    ]


async def document_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    document_id: uuid.UUID,
    *,
    status: int = 200,
    error: str | None = None,
    error_at: str | None = None,
    errors: dict[str, str] | None = None,
    payment_form: dict[str, str] | None = None,
    send_form: dict[str, str] | None = None,
    send_errors: dict[str, str] | None = None,
    credit_form: dict[str, str] | None = None,
    credit_errors: dict[str, str] | None = None,
    reminder_form: dict[str, str] | None = None,
    reminder_errors: dict[str, str] | None = None,
) -> Response[Any]:
    """An invoice or credit note's page, with what went wrong in the last action if anything did: shown
    in the section ``error_at`` names (the form that caused it), else above the actions."""
    document = await access.readable_document(
        db, document_id, permissions=ctx.permissions, party_ids=ctx.party_ids
    )
    lines, adjustments = await lines_of(db, document.id)
    staff = access.readable_parties(ctx.permissions, ctx.party_ids) is None
    credit_notes: list[Document] = []
    if document.kind == "invoice" and document.state != "draft":
        credit_notes = await credit_notes_of(db, document)
    credited = await credited_invoice(db, document)
    customer = await parties.get_party(db, document.customer_id)
    api = f"/api/v1/tenants/{ctx.slug}/invoices/{document.id}"
    totals = document_totals(document, lines, adjustments)
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
        error_at=error_at,
        errors=errors or {},
        payment_form=payment_form or {"date": ctx.today().isoformat(), "method": "bank_transfer"},
        methods=METHOD_LABELS,
        send_form=send_form or {},
        send_errors=send_errors or {},
        credit_form=credit_form or {},
        credit_errors=credit_errors or {},
        credit_rates=[rate_key(b.category, b.rate) for b in totals.breakdown],
        reminders=await reminders_sent(db, document.id) if staff and document.kind == "invoice" else [],
        open_states=OPEN_STATES,
        reminder_form=reminder_form or {},
        reminder_errors=reminder_errors or {},
    )


async def refused(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    document_id: uuid.UUID,
    exc: DomainError,
    *,
    at: str | None = None,
    **forms: dict[str, str] | None,
) -> Response[Any]:
    """The document's page again with why an action on it was refused, beside the form ``at`` names (else
    above the actions), with what was typed in ``forms``; what the action wrote is undone."""
    await db.rollback()
    return await document_page(
        request, db, ctx, document_id, status=exc.status, error=exc.detail, error_at=at, **forms
    )


@get("/invoices/{document_id:uuid}", opt={"permission": None})
async def show_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """An invoice or credit note; a member sees only its own, once issued."""
    return await document_page(request, db, ctx, document_id)


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
        return await document_page(
            request, db, ctx, document_id, status=422, error="Cannot issue yet: " + "; ".join(problems)
        )
    except DomainError as exc:
        return await refused(request, db, ctx, document_id, exc)
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
        return await document_page(
            request, db, ctx, document_id, status=422, reminder_form=form, reminder_errors=field_errors(exc)
        )
    except DomainError as exc:
        return await refused(request, db, ctx, document_id, exc, at="reminders")
    await db.commit()
    notice = (
        "Reminders are paused for this invoice." if paused else "Reminders go out again for this invoice."
    )
    return redirect(request, f"/t/{ctx.slug}/invoices/{document_id}#reminders", notice=notice)


@post("/invoices/{document_id:uuid}/delete", opt={"permission": "invoicing.manage"})
async def delete_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Delete a draft (an issued document is never deleted)."""
    try:
        await delete_draft(db, document_id, actor_id=ctx.user_id)
    except DomainError as exc:
        return await refused(request, db, ctx, document_id, exc)
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
            return await refused(request, db, ctx, document_id, exc, at="record-payment", payment_form=form)
        else:
            await db.commit()
            return redirect(
                request, f"/t/{ctx.slug}/invoices/{document_id}", notice="The payment is recorded."
            )
    return await document_page(
        request,
        db,
        ctx,
        document_id,
        status=422,
        errors=errors,
        error="The payment was not recorded.",
        error_at="record-payment",
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
    try:
        sent = await sending.send_document(
            database,
            request.app.state.settings,
            ctx.tenant_id,
            document_id,
            to=to or None,
            message=form.get("message") or None,
            actor_id=ctx.user_id,
        )
    except InvalidInput as exc:
        errors = {("to" if k.startswith("to") else k): v for k, v in field_errors(exc).items()}
        return await document_page(
            request,
            db,
            ctx,
            document_id,
            status=422,
            error=exc.detail,
            error_at="send",
            send_errors=errors,
            send_form=form,
        )
    except DomainError as exc:
        return await refused(request, db, ctx, document_id, exc, at="send", send_form=form)
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
        return await refused(request, db, ctx, document_id, exc)
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
    delete_invoice,
    record_payment,
    send_invoice,
    convert_quote,
    pause_or_resume_reminders,
]

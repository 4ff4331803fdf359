"""The draft editor: customer, dates, terms, references and lines, with totals recomputed as one types.

Lines travel as ``lines[0].description``, ``lines[0].quantity``… so a service's field error
(``lines[0].quantity``) lands beside the input that caused it. Without JavaScript, "Add line" and
"Remove" submit the form, which comes back with the row added or removed and nothing saved; with htmx
they swap just the lines, and the totals follow every keystroke.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError, InvalidInput, NotFound
from core.models import Tenant
from core.tenants import TenantContext
from core.web.shell import field_errors, redirect
from modules.invoicing.models import Document
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.drafts import create_draft, update_draft
from modules.invoicing.services.languages import LANGUAGES, language_names
from modules.invoicing.services.lines import lines_of
from modules.invoicing.services.search import customers
from modules.invoicing.services.settings import get_settings, vat_default
from modules.invoicing.web.editor_form import (
    EditorForm,
    apply_op,
    blank_line,
    draft_input,
    form_of,
    label,
    live_totals,
    read_editor,
)
from modules.invoicing.web.layout import page

__all__ = ["EDITOR_PAGES"]


async def _editor(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    form: EditorForm,
    *,
    document_id: uuid.UUID | None,
    fragment: str | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    focus_row: int | None = None,
) -> Response[Any]:
    live = live_totals(form, ctx.currency)
    default = await vat_default(db)
    if not form.lines:
        form.lines.append(blank_line(None, default))
    errors = errors or ({**live.errors} if form.op == "recalculate" else {})
    context: dict[str, Any] = {
        "form": form.values,
        "lines": form.lines,
        "adjustments": form.adjustments,
        "live": live,
        "errors": errors,
        "problems": [(name, label(name), message) for name, message in errors.items()],
        "error": error,
        "document_id": document_id,
        "focus_row": focus_row,
        "languages": language_names(),
    }
    if fragment is not None:
        return await page(request, db, ctx, fragment, status=status, **context)
    context["customers"] = await customers(db)
    return await page(request, db, ctx, "invoicing/editor.html", status=status, **context)


async def _save(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID | None
) -> Response[Any]:
    form = await read_editor(request)
    if apply_op(form, await vat_default(db)):
        focus = len(form.lines) - 1 if form.op == "add" else None
        return await _editor(request, db, ctx, form, document_id=document_id, focus_row=focus)
    data, errors = draft_input(form)
    error = "Some fields need your attention." if errors else None
    status = 422
    if data is not None:
        try:
            if document_id is None:
                document = (await create_draft(db, data, today=ctx.today(), actor_id=ctx.user_id)).document
            else:
                # The form holds every field: a cleared date is cleared (and set again at issue).
                complete = dataclasses.replace(data, dates_as_given=True)
                document = await update_draft(db, document_id, complete, actor_id=ctx.user_id)
        except InvalidInput as exc:
            await db.rollback()
            errors, error = field_errors(exc), exc.detail
        except NotFound as exc:  # the draft's existence was checked: it is the customer
            await db.rollback()
            errors, error = {"customer_id": "is not a customer here"}, exc.detail
        except DomainError as exc:
            await db.rollback()
            error, status = exc.detail, exc.status
        else:
            saved_id = document.id
            await db.commit()
            return redirect(request, f"/t/{ctx.slug}/invoices/{saved_id}", notice="The draft is saved.")
    return await _editor(
        request, db, ctx, form, document_id=document_id, status=status, errors=errors, error=error
    )


async def _default_form(db: AsyncSession, ctx: TenantContext, customer: str | None) -> EditorForm:
    terms = (await get_settings(db)).payment_terms_days
    tenant_locale = await db.scalar(select(Tenant.locale).where(Tenant.id == ctx.tenant_id))
    language = (tenant_locale or ctx.locale or "en").split("_")[0]
    values = {
        "currency": ctx.currency,
        "payment_terms_days": str(terms),
        "language": language if language in LANGUAGES else "en",
        "customer_id": customer or "",
    }
    return EditorForm(values=values, lines=[blank_line(None, await vat_default(db))])


@get("/invoices/new", opt={"permission": "invoicing.manage"})
async def new_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, customer: str | None = None
) -> Response[Any]:
    """An empty draft to fill in."""
    form = await _default_form(db, ctx, customer)
    return await _editor(request, db, ctx, form, document_id=None)


@post("/invoices/new", opt={"permission": "invoicing.manage"})
async def create_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """Save a new draft (or add or remove a row and show the form again)."""
    return await _save(request, db, ctx, None)


async def _draft(db: AsyncSession, document_id: uuid.UUID) -> Document | None:
    """The draft, or None when it is issued; 404 when there is none."""
    document = await get_document(db, document_id)
    return document if document.state == "draft" else None


@get("/invoices/{document_id:uuid}/edit", opt={"permission": "invoicing.manage"})
async def edit_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """A draft in the editor; an issued document goes to its page (it never changes)."""
    document = await _draft(db, document_id)
    if document is None:
        return redirect(
            request,
            f"/t/{ctx.slug}/invoices/{document_id}",
            notice="An issued document never changes; credit it to correct it.",
        )
    lines, adjustments = await lines_of(db, document.id)
    return await _editor(request, db, ctx, form_of(document, lines, adjustments), document_id=document.id)


@post("/invoices/{document_id:uuid}/edit", opt={"permission": "invoicing.manage"})
async def update_invoice(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> Response[Any]:
    """Save the draft's changes."""
    await get_document(db, document_id)
    return await _save(request, db, ctx, document_id)


@post("/invoices/totals", opt={"permission": "invoicing.manage"})
async def editor_totals(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """The totals of the lines as typed so far (a fragment; nothing is saved). A line that cannot be
    read is named with the reason, and left out of the totals."""
    form = await read_editor(request)
    return await page(
        request, db, ctx, "invoicing/_totals.html", live=live_totals(form, ctx.currency), oob=True
    )


@post("/invoices/editor/lines", opt={"permission": "invoicing.manage"})
async def editor_lines(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """The lines with one added or removed (a fragment; nothing is saved)."""
    form = await read_editor(request)
    apply_op(form, await vat_default(db))
    focus = len(form.lines) - 1 if form.op == "add" else None
    return await _editor(
        request, db, ctx, form, document_id=None, fragment="invoicing/_editor_lines.html", focus_row=focus
    )


EDITOR_PAGES = [new_invoice, create_invoice, edit_invoice, update_invoice, editor_totals, editor_lines]

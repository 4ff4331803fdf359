"""Crediting an invoice from its page: in full, or in part (amounts of chosen lines, or one amount at one
of its VAT rates). The credit note settles what is still open on the invoice."""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError, InvalidInput
from core.tenants import TenantContext
from core.web.shell import field_errors, form_data, redirect
from modules.invoicing.services.credit_notes import PartialCredit, partial_credit_lines
from modules.invoicing.services.crediting import credit_invoice
from modules.invoicing.services.documents import get_document
from modules.invoicing.web.documents import document_page, refused

__all__ = ["CREDIT_PAGES"]

_LINE_FIELD = re.compile(r"line-(0|[1-9][0-9]{0,5})")
"""A line's amount field, named by the line's position."""


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
        return await refused(request, db, ctx, document_id, exc, at="credit")
    credit_id, number = credit.id, credit.number
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}/invoices/{credit_id}", notice=f"Credit note {number} issued.")


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
    asked = PartialCredit(
        line_amounts={
            int(name.removeprefix("line-")): value
            for name, value in form.items()
            if _LINE_FIELD.fullmatch(name)
        },
        amount=form.get("amount", ""),
        rate=form.get("amount_vat", ""),
        description=form.get("amount_description", "")[:500] or reason,
    )
    lines, line_errors = await partial_credit_lines(db, document, asked)
    errors.update(line_errors)
    if not lines and not errors:
        errors["lines"] = "enter an amount to credit on a line, or an amount below"
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
            return await refused(request, db, ctx, document_id, exc, at="credit-part", credit_form=form)
        else:
            credit_id, number = credit.id, credit.number
            await db.commit()
            return redirect(
                request, f"/t/{ctx.slug}/invoices/{credit_id}", notice=f"Credit note {number} issued."
            )
    return await document_page(
        request,
        db,
        ctx,
        document_id,
        status=422,
        error="The credit note was not issued.",
        error_at="credit-part",
        credit_form=form,
        credit_errors=errors,
    )


CREDIT_PAGES = [credit_in_full, credit_in_part]

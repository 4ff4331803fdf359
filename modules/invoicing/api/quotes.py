"""Quotes under /api/v1/tenants/{tenant}/invoices: turning an accepted quote into an invoice."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.idempotency import idempotent
from core.tenants import TenantContext
from modules.invoicing.schemas.documents import document_out
from modules.invoicing.services import access, quotes
from modules.invoicing.services.lines import lines_of

__all__ = ["QuoteController"]


class QuoteController(Controller):
    path = "/invoices"
    tags = ["invoicing"]

    @post("/{document_id:uuid}/convert", opt={"permission": "invoicing.manage"})
    async def convert(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
    ) -> Response[bytes]:
        """Convert a quote into a new draft invoice (the quote gets its number and is marked converted);
        accepts ``Idempotency-Key``. Converting twice is 409."""

        async def produce() -> tuple[int, Any]:
            quote, invoice = await quotes.convert_quote(
                db, document_id, today=ctx.today(), actor_id=ctx.user_id
            )
            lines, adjustments = await lines_of(db, invoice.id)
            out = document_out(invoice, lines, adjustments)
            out["source_id"] = str(quote.id)
            out["quote"] = document_out(quote)
            return 201, out

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)

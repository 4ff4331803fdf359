"""Sending under /api/v1/tenants/{tenant}/invoices: e-mailing an issued document to its customer."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenants import TenantContext
from modules.invoicing.schemas.documents import document_out
from modules.invoicing.schemas.sending import SendIn
from modules.invoicing.services import sending

__all__ = ["SendingController"]


class SendingController(Controller):
    path = "/invoices"
    tags = ["invoicing"]

    @post("/{document_id:uuid}/send", opt={"permission": "invoicing.issue"}, status_code=200)
    async def send(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        document_id: uuid.UUID,
        data: SendIn | None = None,
    ) -> dict[str, Any]:
        """E-mail an issued invoice or credit note with its Factur-X PDF (the stored one, identical to the
        download) to the customer or to ``to``; ``sent_at`` is set once the mail server took it, and a
        failing server answers 502 with nothing recorded."""
        await db.rollback()  # hold no transaction while the PDF renders and the mail server answers
        database = request.app.state.db
        sent = await sending.send_document(
            database,
            request.app.state.settings,
            ctx.tenant_id,
            document_id,
            to=data.to if data else None,
            message=data.message if data else None,
            actor_id=ctx.user_id,
        )
        out = document_out(sent.document)
        out["sent_to"] = list(sent.recipients)
        return out

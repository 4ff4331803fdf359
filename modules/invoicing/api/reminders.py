"""Reminders under /api/v1/tenants/{tenant}: an invoice's reminders (seen, paused, resumed) and the run
that sends the ones due today."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.lookup import fetch
from core.tenants import TenantContext
from modules.invoicing.models import Document
from modules.invoicing.schemas.reminders import RemindersIn, reminders_out
from modules.invoicing.services import reminders

__all__ = ["InvoiceReminderController", "ReminderController"]


class InvoiceReminderController(Controller):
    path = "/invoices"
    tags = ["invoicing"]

    @get("/{document_id:uuid}/reminders", opt={"permission": "invoicing.view"})
    async def reminders_of(
        self, db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
    ) -> dict[str, Any]:
        """The reminders sent for an invoice, and whether more may go out."""
        document = await fetch(db, Document, document_id, what="invoice")
        return reminders_out(document, await reminders.reminders_sent(db, document.id))

    @post("/{document_id:uuid}/reminders", opt={"permission": "invoicing.payments"}, status_code=200)
    async def pause_or_resume_reminders(
        self, db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID, data: RemindersIn
    ) -> dict[str, Any]:
        """Pause (``"paused": true``) or resume an unpaid invoice's reminders, with an optional
        ``reason`` kept in the audit log. A paid, draft or credited invoice is 409."""
        document = await reminders.pause_reminders(
            db, document_id, paused=data.paused, reason=data.reason, actor_id=ctx.user_id
        )
        out = reminders_out(document, await reminders.reminders_sent(db, document.id))
        await db.commit()
        return out


class ReminderController(Controller):
    path = "/reminders"
    tags = ["invoicing"]

    @post("/run", opt={"permission": "invoicing.payments"}, status_code=200)
    async def run(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
    ) -> dict[str, Any]:
        """Send the reminders due today (the scheduled job does the same); reports what was sent."""
        await db.rollback()  # each reminder is its own transaction; hold no lock meanwhile
        report = await reminders.send_due_reminders(
            request.app.state.db,
            ctx.tenant_id,
            today=ctx.today(),
            settings=request.app.state.settings,
            actor_id=ctx.user_id,
        )
        return report.to_dict()

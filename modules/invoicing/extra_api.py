"""More of the invoicing API under /api/v1/tenants/{tenant}: quotes, sending, recurring plans, CSV and
settings."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.lookup import fetch
from core.errors import InvalidInput
from core.idempotency import idempotent
from core.tenants import TenantContext
from modules.invoicing.api import _scope
from modules.invoicing.models import Document, RecurringPlan
from modules.invoicing.schemas import AdjustmentIn, LineIn, document_out
from modules.invoicing.services import exchange, quotes, recurring, reminders, sending
from modules.invoicing.services import settings as invoicing_settings
from modules.invoicing.services.files import stored_pdf
from modules.invoicing.services.lines import lines_of
from modules.invoicing.services.settings import SettingsPatch, get_settings, settings_out
from modules.invoicing.vocabulary import KINDS

__all__ = [
    "ExchangeController",
    "InvoiceActionsController",
    "RecurringController",
    "SettingsController",
]


class SendIn(msgspec.Struct, forbid_unknown_fields=True):
    to: list[str] | None = None
    """Addresses to send to instead of the customer's."""
    message: str | None = None
    """A few words added to the standard text."""


class RemindersIn(msgspec.Struct, forbid_unknown_fields=True):
    paused: bool
    """True stops the invoice's reminders (while it is disputed, say); false lets them go out again."""
    reason: str = ""
    """Why, for the audit log."""


class RecurringIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID
    frequency: str
    start_date: date
    """The first invoice's date; later ones keep its day of the month (31: the month's last day)."""
    lines: list[LineIn]
    name: str = ""
    end_date: date | None = None
    auto_issue: bool = False
    currency: str | None = None
    adjustments: list[AdjustmentIn] = msgspec.field(default_factory=list)
    payment_terms_days: int | None = None
    notes: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None


class RecurringPatch(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID | None = None
    frequency: str | None = None
    next_date: date | None = None
    end_date: date | msgspec.UnsetType | None = msgspec.UNSET
    """``null`` removes the end date."""
    name: str | None = None
    auto_issue: bool | None = None
    active: bool | None = None
    lines: list[LineIn] | None = None
    currency: str | None = None
    adjustments: list[AdjustmentIn] | None = None
    payment_terms_days: int | None = None
    notes: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)


class InvoiceActionsController(Controller):
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

        return await idempotent(db, request, _scope(ctx), produce)

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

        async def make_pdf(document: Document) -> bytes:
            return await stored_pdf(database, document)

        sent = await sending.send_document(
            database,
            request.app.state.settings,
            ctx.tenant_id,
            document_id,
            make_pdf=make_pdf,
            to=data.to if data else None,
            message=data.message if data else None,
            actor_id=ctx.user_id,
        )
        out = document_out(sent.document)
        out["sent_to"] = list(sent.recipients)
        return out

    @get("/{document_id:uuid}/reminders", opt={"permission": "invoicing.view"})
    async def reminders_of(
        self, db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
    ) -> dict[str, Any]:
        """The reminders sent for an invoice, and whether more may go out."""
        document = await fetch(db, Document, document_id, what="invoice")
        return await _reminders_out(db, document)

    @post("/{document_id:uuid}/reminders", opt={"permission": "invoicing.payments"}, status_code=200)
    async def pause_or_resume_reminders(
        self, db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID, data: RemindersIn
    ) -> dict[str, Any]:
        """Pause (``"paused": true``) or resume an unpaid invoice's reminders, with an optional
        ``reason`` kept in the audit log. A paid, draft or credited invoice is 409."""
        document = await reminders.pause_reminders(
            db, document_id, paused=data.paused, reason=data.reason, actor_id=ctx.user_id
        )
        out = await _reminders_out(db, document)
        await db.commit()
        return out


async def _reminders_out(db: AsyncSession, document: Document) -> dict[str, Any]:
    sent = await reminders.reminders_sent(db, document.id)
    return {
        "invoice_id": str(document.id),
        "reminder_level": document.reminder_level,
        "reminders_paused": document.reminders_paused,
        "sent": [
            {
                "level": r.level,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "recipient": r.recipient,
            }
            for r in sent
        ],
    }


def plan_out(plan: RecurringPlan) -> dict[str, Any]:
    template = plan.template
    return {
        "id": str(plan.id),
        "name": plan.name,
        "customer_id": str(plan.customer_id),
        "frequency": plan.frequency,
        "next_date": plan.next_date.isoformat(),
        "end_date": plan.end_date.isoformat() if plan.end_date else None,
        "auto_issue": plan.auto_issue,
        "active": plan.active,
        "last_document_id": str(plan.last_document_id) if plan.last_document_id else None,
        "currency": template.get("currency"),
        "lines": template.get("lines", []),
        "adjustments": template.get("adjustments", []),
        "payment_terms_days": template.get("payment_terms_days"),
        "notes": template.get("notes", ""),
        "buyer_reference": template.get("buyer_reference"),
        "order_reference": template.get("order_reference"),
        "created_at": plan.created_at.isoformat(),
    }


def _template(data: RecurringIn | RecurringPatch) -> dict[str, Any]:
    return {
        name: _builtins(getattr(data, name))
        for name in recurring.TEMPLATE_FIELDS
        if getattr(data, name) is not None
    }


class RecurringController(Controller):
    path = "/recurring"
    tags = ["invoicing"]

    @get("/", opt={"permission": "invoicing.manage"})
    async def list_plans(
        self, db: AsyncSession, ctx: TenantContext, active: bool | None = None
    ) -> dict[str, Any]:
        """Recurring invoice plans, the next due first."""
        return {"items": [plan_out(p) for p in await recurring.list_plans(db, active=active)]}

    @post("/", opt={"permission": "invoicing.manage"})
    async def create(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: RecurringIn
    ) -> Response[bytes]:
        """A plan making an invoice every month, quarter or year from ``start_date``; accepts
        ``Idempotency-Key``."""

        async def produce() -> tuple[int, Any]:
            plan = await recurring.create_plan(
                db,
                customer_id=data.customer_id,
                frequency=data.frequency,
                start_date=data.start_date,
                end_date=data.end_date,
                name=data.name,
                auto_issue=data.auto_issue,
                template=_template(data),
                actor_id=ctx.user_id,
            )
            return 201, plan_out(plan)

        return await idempotent(db, request, _scope(ctx), produce)

    @get("/{plan_id:uuid}", opt={"permission": "invoicing.manage"})
    async def show(self, db: AsyncSession, ctx: TenantContext, plan_id: uuid.UUID) -> dict[str, Any]:
        return plan_out(await recurring.get_plan(db, plan_id))

    @patch("/{plan_id:uuid}", opt={"permission": "invoicing.manage"})
    async def update(
        self, db: AsyncSession, ctx: TenantContext, plan_id: uuid.UUID, data: RecurringPatch
    ) -> dict[str, Any]:
        """Change a plan (send what changes; ``lines`` replaces all lines, ``active: false`` pauses it)."""
        changes: dict[str, Any] = {
            name: getattr(data, name)
            for name in ("customer_id", "frequency", "next_date", "name", "auto_issue", "active")
        }
        if data.end_date is not msgspec.UNSET:
            changes["end_date"] = data.end_date
        changes.update(_template(data))
        plan = await recurring.update_plan(db, plan_id, changes, actor_id=ctx.user_id)
        out = plan_out(plan)
        await db.commit()
        return out

    @delete("/{plan_id:uuid}", opt={"permission": "invoicing.manage"}, status_code=204)
    async def remove(self, db: AsyncSession, ctx: TenantContext, plan_id: uuid.UUID) -> None:
        """Delete a plan; the invoices it made stay."""
        await recurring.delete_plan(db, plan_id, actor_id=ctx.user_id)
        await db.commit()


def _csv(content: str, filename: str) -> Response[bytes]:
    return Response(
        content=content.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
    )


def _kind(kind: str | None) -> str | None:
    if kind and kind not in KINDS:
        raise InvalidInput.field("kind", f"must be one of {', '.join(KINDS)}")
    return kind or None


class ExchangeController(Controller):
    path = "/"
    tags = ["invoicing"]

    @get("/exports/invoices.csv", opt={"permission": "invoicing.view"})
    async def invoices_csv(
        self,
        db: AsyncSession,
        ctx: TenantContext,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        kind: str | None = None,
        drafts: bool = False,
    ) -> Response[bytes]:
        """One row per document issued between ``from`` and ``to`` (issue dates, inclusive): number,
        kind, state, dates, customer and VAT id, currency, net, VAT, gross, paid, balance. Quotes only
        with ``kind=quote``; drafts only with ``drafts=true``."""
        content = await exchange.invoices_csv(
            db, date_from=date_from, date_to=date_to, kind=_kind(kind), include_drafts=drafts
        )
        return _csv(content, "invoices.csv")

    @get("/exports/lines.csv", opt={"permission": "invoicing.view"})
    async def lines_csv(
        self,
        db: AsyncSession,
        ctx: TenantContext,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        kind: str | None = None,
        drafts: bool = False,
    ) -> Response[bytes]:
        """One row per line of the same documents as ``invoices.csv``, with the document's number."""
        content = await exchange.lines_csv(
            db, date_from=date_from, date_to=date_to, kind=_kind(kind), include_drafts=drafts
        )
        return _csv(content, "lines.csv")

    @post("/imports/customers", opt={"permission": "core.parties.manage"}, status_code=200)
    async def import_customers(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
    ) -> Response[bytes]:
        """Create customers from a CSV file (multipart field ``file``, or a ``text/csv`` body) with the
        columns name, kind, email, vat_id, company_id, line1, line2, postcode, city, region, country,
        locale. All or nothing; existing customers (same VAT id or name) are skipped and listed.
        Accepts ``Idempotency-Key``."""
        raw = await request.body()  # read once: the form below and the idempotency fingerprint reuse it
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            form = await request.form()
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise InvalidInput.field("file", "send the CSV file in the form field 'file'")
            content = await upload.read()
        elif content_type in ("text/csv", "text/plain", "application/csv"):
            content = raw
        else:
            raise InvalidInput.field("content-type", "send text/csv, or multipart/form-data with a 'file'")
        _, rows = exchange.parse_csv(content)

        async def produce() -> tuple[int, Any]:
            result = await exchange.import_customers(db, rows, actor_id=ctx.user_id)
            return 200, {"created": result.created, "skipped": result.skipped}

        return await idempotent(db, request, _scope(ctx), produce)


class SettingsController(Controller):
    path = "/invoicing/settings"
    tags = ["invoicing"]

    @get("/", opt={"permission": "invoicing.settings"})
    async def show(self, db: AsyncSession, ctx: TenantContext) -> dict[str, Any]:
        """Numbering, terms, reminder days, branding and the mail server (never its password)."""
        return settings_out(await get_settings(db))

    @patch("/", opt={"permission": "invoicing.settings"})
    async def update(self, db: AsyncSession, ctx: TenantContext, data: SettingsPatch) -> dict[str, Any]:
        """Change settings (send what changes; ``smtp: null`` goes back to the install's mail server;
        an ``smtp`` without ``password`` keeps the stored one)."""
        settings = await invoicing_settings.update_settings(
            db, data, tenant_id=ctx.tenant_id, actor_id=ctx.user_id
        )
        out = settings_out(settings)
        await db.commit()
        return out

    @put("/logo", opt={"permission": "invoicing.settings"}, status_code=200)
    async def put_logo(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
    ) -> dict[str, Any]:
        """Upload the logo printed on documents: the image itself as the body (PNG, JPEG or SVG,
        at most 512 kB)."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        content = await request.body()
        settings = await invoicing_settings.set_logo(
            db, content, media_type, tenant_id=ctx.tenant_id, actor_id=ctx.user_id
        )
        out = settings_out(settings)
        await db.commit()
        return out

    @delete("/logo", opt={"permission": "invoicing.settings"}, status_code=204)
    async def delete_logo(self, db: AsyncSession, ctx: TenantContext) -> None:
        """Remove the logo."""
        await invoicing_settings.remove_logo(db, tenant_id=ctx.tenant_id, actor_id=ctx.user_id)
        await db.commit()

"""Invoices, credit notes and quotes under /api/v1/tenants/{tenant}/invoices: list, write, issue,
credit and download them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput, PermissionDenied
from core.idempotency import idempotent
from core.tenants import TenantContext
from modules.invoicing.models import Document
from modules.invoicing.schemas.documents import (
    AdjustmentIn,
    CreditIn,
    InvoiceIn,
    InvoicePatch,
    LineIn,
    document_out,
)
from modules.invoicing.services import access, search
from modules.invoicing.services.crediting import credit_invoice
from modules.invoicing.services.drafts import DraftInput, create_draft, delete_draft, update_draft
from modules.invoicing.services.files import stored_pdf
from modules.invoicing.services.issuing import issue_document, snapshot_for
from modules.invoicing.services.lines import AdjustmentData, LineData, lines_of, parse_adjustment, parse_line
from modules.invoicing.services.previews import draft_pdf
from modules.invoicing.services.snapshots import InvoiceSnapshot

__all__ = ["InvoiceController"]


def _lines(raw: Sequence[LineIn] | None) -> list[LineData] | None:
    if raw is None:
        return None
    return [parse_line(msgspec.to_builtins(line), index) for index, line in enumerate(raw)]


def _adjustments(raw: Sequence[AdjustmentIn] | None) -> list[AdjustmentData] | None:
    if raw is None:
        return None
    return [parse_adjustment(msgspec.to_builtins(a), index) for index, a in enumerate(raw)]


def _draft_input(data: InvoiceIn | InvoicePatch) -> DraftInput:
    return DraftInput(
        customer_id=data.customer_id,
        currency=data.currency,
        lines=_lines(data.lines),
        adjustments=_adjustments(data.adjustments),
        issue_date=data.issue_date,
        payment_terms_days=data.payment_terms_days,
        due_date=data.due_date,
        delivery_date=data.delivery_date,
        buyer_reference=data.buyer_reference,
        order_reference=data.order_reference,
        notes=data.notes,
        payment_iban=data.payment_iban,
        payment_bic=data.payment_bic,
        language=data.language,
        kind=getattr(data, "kind", "invoice"),
    )


async def _readable_snapshot(
    db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
) -> tuple[Document, InvoiceSnapshot]:
    """A document the user may read, with the snapshot every rendering of it (PDF, CII, UBL) is made from."""
    document = await access.readable_document(
        db, document_id, permissions=ctx.permissions, party_ids=ctx.party_ids
    )
    return document, await snapshot_for(db, document)


def _download(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
    )


class InvoiceController(Controller):
    path = "/invoices"
    tags = ["invoicing"]

    @get("/", opt={"permission": None})
    async def list_invoices(
        self,
        db: AsyncSession,
        ctx: TenantContext,
        state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
        kind: str | None = "invoice",
        customer_id: uuid.UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        overdue: bool = False,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Invoices, newest first; filter by state, kind, customer, issue dates, overdue, number."""
        parties = access.readable_parties(ctx.permissions, ctx.party_ids)
        statement = search.document_statement(
            parties=parties,
            today=ctx.today(),
            state=state_filter,
            kind=kind,
            customer_id=customer_id,
            date_from=date_from,
            date_to=date_to,
            overdue=overdue,
            q=q,
        )
        page = await search.documents_page(db, statement, limit=limit, cursor=cursor)
        staff = parties is None
        return {"items": [document_out(d, staff=staff) for d in page.items], "next_cursor": page.next_cursor}

    @post("/", opt={"permission": "invoicing.manage"})
    async def create(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: InvoiceIn
    ) -> Response[bytes]:
        """Create a draft (or a quote), or with ``"issue": true`` an issued invoice; accepts
        ``Idempotency-Key``."""
        if data.issue and not ctx.can("invoicing.issue"):
            raise PermissionDenied(f"your role ({ctx.role}) may not issue invoices here")
        if data.issue and data.kind == "quote":
            raise InvalidInput.field("issue", "a quote is not issued; convert it to an invoice")

        async def produce() -> tuple[int, Any]:
            draft = await create_draft(db, _draft_input(data), today=ctx.today(), actor_id=ctx.user_id)
            if data.issue:
                await issue_document(
                    db,
                    draft.document.id,
                    today=ctx.today(),
                    actor_id=ctx.user_id,
                    rows=draft.rows,
                )
            return 201, document_out(draft.document, *draft.rows)

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)

    @get("/{document_id:uuid}", opt={"permission": None})
    async def show(self, db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID) -> dict[str, Any]:
        """One document with its lines."""
        document = await access.readable_document(
            db, document_id, permissions=ctx.permissions, party_ids=ctx.party_ids
        )
        lines, adjustments = await lines_of(db, document.id)
        return document_out(
            document,
            lines,
            adjustments,
            staff=access.readable_parties(ctx.permissions, ctx.party_ids) is None,
        )

    @patch("/{document_id:uuid}", opt={"permission": "invoicing.manage"})
    async def update(
        self, db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID, data: InvoicePatch
    ) -> dict[str, Any]:
        """Change a draft (send only what changes; ``lines`` replaces all lines)."""
        document = await update_draft(db, document_id, _draft_input(data), actor_id=ctx.user_id)
        lines, adjustments = await lines_of(db, document.id)
        await db.commit()
        return document_out(document, lines, adjustments)

    @delete("/{document_id:uuid}", opt={"permission": "invoicing.manage"}, status_code=204)
    async def remove(self, db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID) -> None:
        """Delete a draft (issued documents are never deleted)."""
        await delete_draft(db, document_id, actor_id=ctx.user_id)
        await db.commit()

    @post("/{document_id:uuid}/issue", opt={"permission": "invoicing.issue"})
    async def issue(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
    ) -> Response[bytes]:
        """Issue a draft: it gets the next number and never changes again; accepts ``Idempotency-Key``."""

        async def produce() -> tuple[int, Any]:
            document = await issue_document(db, document_id, today=ctx.today(), actor_id=ctx.user_id)
            return 200, document_out(document)

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)

    @post("/{document_id:uuid}/credit", opt={"permission": "invoicing.issue"})
    async def credit(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        document_id: uuid.UUID,
        data: CreditIn,
    ) -> Response[bytes]:
        """Credit an issued invoice in full (void) or in part; returns the issued credit note."""

        async def produce() -> tuple[int, Any]:
            credit = await credit_invoice(
                db,
                document_id,
                _lines(data.lines),
                today=ctx.today(),
                reason=data.reason,
                actor_id=ctx.user_id,
            )
            return 201, document_out(credit)

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)

    @get("/{document_id:uuid}/pdf", opt={"permission": None})
    async def pdf(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
    ) -> Response[bytes]:
        """The PDF: a Factur-X PDF/A-3 once issued (stored, so every download is identical), a marked
        preview while a draft (laid out within the install's time for previews, see ``previews``)."""
        document, snapshot = await _readable_snapshot(db, ctx, document_id)
        name = f"{document.number or 'draft'}.pdf"
        # The request's connection goes back to the pool before the render: it would sit idle for it,
        # and storing a first rendering takes a connection of its own (with every request holding one
        # and asking for a second, a burst of first downloads would wait each other out). The document
        # leaves the session first, so the rollback does not expire what is read of it below.
        db.expunge(document)
        await db.rollback()
        if document.state == "draft":
            seconds = request.app.state.settings.preview_seconds
            preview = await draft_pdf(document.tenant_id, document.id, snapshot, seconds=seconds)
            return _download(preview, "application/pdf", name)
        return _download(await stored_pdf(request.app.state.db, document), "application/pdf", name)

    @get("/{document_id:uuid}/facturx.xml", opt={"permission": None})
    async def facturx(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
    ) -> Response[bytes]:
        """The EN 16931 CII XML (the one embedded in the PDF)."""
        from modules.invoicing.services.einvoice import facturx_xml

        document, snapshot = await _readable_snapshot(db, ctx, document_id)
        return _download(
            facturx_xml(snapshot), "application/xml", f"{document.number or 'draft'}.facturx.xml"
        )

    @get("/{document_id:uuid}/ubl.xml", opt={"permission": None})
    async def ubl(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, document_id: uuid.UUID
    ) -> Response[bytes]:
        """The UBL 2.1 invoice in the Peppol BIS Billing 3.0 shape."""
        from modules.invoicing.services.einvoice import ubl_xml

        document, snapshot = await _readable_snapshot(db, ctx, document_id)
        return _download(ubl_xml(snapshot), "application/xml", f"{document.number or 'draft'}.ubl.xml")

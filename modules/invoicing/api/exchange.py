"""Exchange with other software under /api/v1/tenants/{tenant}: invoices and lines as CSV for the
accountant, customers imported from a CSV file."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.idempotency import idempotent
from core.tenants import TenantContext
from modules.invoicing.services import access, exchange
from modules.invoicing.vocabulary import KINDS

__all__ = ["ExchangeController"]


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

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)

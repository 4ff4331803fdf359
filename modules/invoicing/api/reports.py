"""The reports a bookkeeper hands to the accountant, under /api/v1/tenants/{tenant}/reports: aged
receivables, the VAT summary and revenue per customer. Amounts travel as decimal strings. Reports answer
JSON, or CSV with ``?format=csv`` or ``Accept: text/csv``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.spreadsheets import csv_text
from core.tenants import TenantContext
from modules.invoicing.schemas.reports import (
    AGED_CSV_HEADER,
    REVENUE_CSV_HEADER,
    VAT_CSV_HEADER,
    aged_csv_rows,
    aged_out,
    revenue_out,
    revenue_row_out,
    vat_out,
    vat_row_out,
)
from modules.invoicing.services import reports

__all__ = ["ReportController"]


def _wants_csv(request: Request[Any, Any, Any], format_: str | None) -> bool:
    if format_ is not None:
        if format_ not in ("json", "csv"):
            raise InvalidInput.field("format", "must be json or csv")
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response[bytes]:
    return Response(
        content=csv_text(header, rows).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private"},
    )


def _period(ctx: TenantContext, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The period asked for; by default from the first day of this year to today."""
    today = ctx.today()
    start = date_from or today.replace(month=1, day=1)
    end = date_to or today
    if start > end:
        raise InvalidInput.field("from", "must not be after 'to'")
    return start, end


_FROM = Annotated[date | None, QueryParameter(name="from")]
_TO = Annotated[date | None, QueryParameter(name="to")]
_FORMAT = Annotated[str | None, QueryParameter(name="format")]


class ReportController(Controller):
    path = "/reports"
    tags = ["invoicing"]

    @get("/aged-receivables", opt={"permission": "invoicing.view"})
    async def aged_receivables(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        on: date | None = None,
        format_: _FORMAT = None,
    ) -> Response[Any]:
        """What customers owe, by days past due (current, 1-30, 31-60, 61-90, 90+), per currency."""
        report = await reports.aged_receivables(db, on=on or ctx.today())
        if _wants_csv(request, format_):
            return _csv(
                f"aged-receivables-{report.on.isoformat()}.csv", AGED_CSV_HEADER, aged_csv_rows(report)
            )
        return Response(aged_out(report))

    @get("/vat", opt={"permission": "invoicing.view"})
    async def vat(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        date_from: _FROM = None,
        date_to: _TO = None,
        format_: _FORMAT = None,
    ) -> Response[Any]:
        """VAT per month, currency, category and rate: invoices minus credit notes, issued ones only."""
        start, end = _period(ctx, date_from, date_to)
        rows = await reports.vat_summary(db, date_from=start, date_to=end)
        totals = reports.vat_totals(rows)
        if _wants_csv(request, format_):
            return _csv(
                f"vat-{start.isoformat()}-{end.isoformat()}.csv",
                VAT_CSV_HEADER,
                [list(vat_row_out(row).values()) for row in [*rows, *totals]],
            )
        return Response(vat_out(start, end, rows, totals))

    @get("/revenue", opt={"permission": "invoicing.view"})
    async def revenue(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        ctx: TenantContext,
        date_from: _FROM = None,
        date_to: _TO = None,
        format_: _FORMAT = None,
    ) -> Response[Any]:
        """Net revenue (excluding VAT) per customer: invoices minus credit notes issued in the period."""
        start, end = _period(ctx, date_from, date_to)
        rows = await reports.revenue_by_customer(db, date_from=start, date_to=end)
        if _wants_csv(request, format_):
            return _csv(
                f"revenue-{start.isoformat()}-{end.isoformat()}.csv",
                REVENUE_CSV_HEADER,
                [list(revenue_row_out(row).values()) for row in rows],
            )
        return Response(revenue_out(start, end, rows))

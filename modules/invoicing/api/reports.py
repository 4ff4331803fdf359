"""The reports a bookkeeper hands to the accountant, under /api/v1/tenants/{tenant}/reports: aged
receivables, the VAT summary and revenue per customer. Amounts travel as decimal strings. Reports answer
JSON, or CSV with ``?format=csv`` or ``Accept: text/csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.money import amount_text, minor_unit, plain_number
from core.tenants import TenantContext
from modules.invoicing.services import reports

__all__ = ["ReportController"]


def _wants_csv(request: Request[Any, Any, Any], format_: str | None) -> bool:
    if format_ is not None:
        if format_ not in ("json", "csv"):
            raise InvalidInput.field("format", "must be json or csv")
        return format_ == "csv"
    return "text/csv" in request.headers.get("accept", "")


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        content=buffer.getvalue().encode(),
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

            def line(c: reports.AgedCustomer, customer_id: str, name: str) -> list[object]:
                return [
                    c.currency,
                    customer_id,
                    name,
                    c.invoices,
                    *(amount_text(c.buckets[b], minor_unit(c.currency)) for b in reports.BUCKETS),
                    amount_text(c.total, minor_unit(c.currency)),
                ]

            rows = [line(c, str(c.customer_id), c.name) for c in report.customers]
            rows += [line(total, "", "TOTAL") for _, total in sorted(report.totals.items())]
            return _csv(
                f"aged-receivables-{report.on.isoformat()}.csv",
                ["currency", "customer_id", "customer", "invoices", *reports.BUCKETS, "total"],
                rows,
            )

        def out(c: reports.AgedCustomer) -> dict[str, Any]:
            return {
                "invoices": c.invoices,
                **{b: amount_text(c.buckets[b], minor_unit(c.currency)) for b in reports.BUCKETS},
                "total": amount_text(c.total, minor_unit(c.currency)),
            }

        return Response(
            {
                "on": report.on.isoformat(),
                "buckets": list(reports.BUCKETS),
                "currencies": [
                    {
                        "currency": currency,
                        "customers": [
                            {"customer_id": str(c.customer_id), "name": c.name, **out(c)}
                            for c in report.customers
                            if c.currency == currency
                        ],
                        "totals": out(total),
                    }
                    for currency, total in sorted(report.totals.items())
                ],
            }
        )

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

        def out(row: reports.VatRow) -> dict[str, Any]:
            return {
                "period": row.period,
                "currency": row.currency,
                "category": row.category,
                "rate": plain_number(row.rate),
                "taxable": amount_text(row.taxable, minor_unit(row.currency)),
                "tax": amount_text(row.tax, minor_unit(row.currency)),
                "documents": row.documents,
            }

        if _wants_csv(request, format_):
            return _csv(
                f"vat-{start.isoformat()}-{end.isoformat()}.csv",
                ["period", "currency", "category", "rate", "taxable", "tax", "documents"],
                [list(out(row).values()) for row in [*rows, *totals]],
            )
        return Response(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "rows": [out(row) for row in rows],
                "totals": [{k: v for k, v in out(row).items() if k != "period"} for row in totals],
            }
        )

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

        def out(row: reports.RevenueRow) -> dict[str, Any]:
            return {
                "customer_id": str(row.customer_id),
                "name": row.name,
                "currency": row.currency,
                "invoices": row.invoices,
                "credit_notes": row.credit_notes,
                "invoiced": amount_text(row.invoiced, minor_unit(row.currency)),
                "credited": amount_text(row.credited, minor_unit(row.currency)),
                "net": amount_text(row.net, minor_unit(row.currency)),
            }

        if _wants_csv(request, format_):
            return _csv(
                f"revenue-{start.isoformat()}-{end.isoformat()}.csv",
                [
                    "customer_id",
                    "customer",
                    "currency",
                    "invoices",
                    "credit_notes",
                    "invoiced",
                    "credited",
                    "net",
                ],
                [list(out(row).values()) for row in rows],
            )
        totals: dict[str, Decimal] = {}
        for row in rows:
            totals[row.currency] = totals.get(row.currency, Decimal(0)) + row.net
        return Response(
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "customers": [out(row) for row in rows],
                "totals": {
                    currency: amount_text(net, minor_unit(currency))
                    for currency, net in sorted(totals.items())
                },
            }
        )

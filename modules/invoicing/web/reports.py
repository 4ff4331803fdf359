"""The reports a bookkeeper hands to the accountant, as pages: aged receivables on a day, the VAT
summary and the revenue per customer of a period. Each page offers the same report as CSV (the API's
export, which the session opens as well)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from core.tenants import TenantContext
from modules.invoicing.services import reports
from modules.invoicing.vocabulary import BUCKET_LABELS
from modules.invoicing.web.layout import page, parse_date

__all__ = ["REPORT_PAGES"]


def _query(request: Request[Any, Any, Any], name: str) -> str:
    return (request.query_params.get(name) or "").strip()[:40]


def _csv_link(ctx: TenantContext, report: str, **params: str) -> str:
    return f"/api/v1/tenants/{ctx.slug}/reports/{report}?" + urlencode({**params, "format": "csv"})


def _period(
    request: Request[Any, Any, Any], ctx: TenantContext
) -> tuple[date, date, dict[str, str], dict[str, str]]:
    """The period asked for (by default from the first day of this year to today), the fields as
    typed and what is wrong with them."""
    typed = {"from": _query(request, "from"), "to": _query(request, "to")}
    errors: dict[str, str] = {}
    today = ctx.today()
    start = parse_date(typed["from"], "from", errors) or today.replace(month=1, day=1)
    end = parse_date(typed["to"], "to", errors) or today
    if not errors and start > end:
        errors["from"] = "must not be after the end date"
    return start, end, typed, errors


async def _period_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    template: str,
    report: str,
    **context: Any,
) -> tuple[date, date, dict[str, Any]] | Response[Any]:
    """The period's context for a report page, or the page with the period's errors (422)."""
    start, end, typed, errors = _period(request, ctx)
    if errors:
        return await page(
            request, db, ctx, template, status=422, form=typed, errors=errors, ready=False, **context
        )
    shown = {"from": start.isoformat(), "to": end.isoformat()}
    return (
        start,
        end,
        {"form": shown, "errors": {}, "ready": True, "csv": _csv_link(ctx, report, **shown), **context},
    )


@get("/reports", opt={"permission": "invoicing.view"})
async def reports_index(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """The three reports, with what each answers."""
    return await page(request, db, ctx, "invoicing/reports.html")


@get("/reports/aged-receivables", opt={"permission": "invoicing.view"})
async def aged_receivables_page(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """What customers owed on a day (today unless ``on`` says otherwise), by how long it was past due."""
    typed = {"on": _query(request, "on")}
    errors: dict[str, str] = {}
    on = parse_date(typed["on"], "on", errors) or ctx.today()
    template = "invoicing/reports_aged.html"
    if errors:
        return await page(request, db, ctx, template, status=422, form=typed, errors=errors, ready=False)
    report = await reports.aged_receivables(db, on=on)
    by_currency = [
        (currency, [c for c in report.customers if c.currency == currency], total)
        for currency, total in sorted(report.totals.items())
    ]
    return await page(
        request,
        db,
        ctx,
        template,
        form={"on": on.isoformat()},
        errors={},
        ready=True,
        on=on,
        buckets=BUCKET_LABELS,
        by_currency=by_currency,
        csv=_csv_link(ctx, "aged-receivables", on=on.isoformat()),
    )


@get("/reports/vat", opt={"permission": "invoicing.view"})
async def vat_page(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """The VAT of the documents issued in a period, per month, currency, category and rate."""
    found = await _period_page(request, db, ctx, "invoicing/reports_vat.html", "vat")
    if not isinstance(found, tuple):
        return found
    start, end, context = found
    rows = await reports.vat_summary(db, date_from=start, date_to=end)
    return await page(
        request,
        db,
        ctx,
        "invoicing/reports_vat.html",
        rows=rows,
        totals=reports.vat_totals(rows),
        start=start,
        end=end,
        **context,
    )


@get("/reports/revenue", opt={"permission": "invoicing.view"})
async def revenue_page(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """Net revenue (excluding VAT) per customer from the documents issued in a period."""
    found = await _period_page(request, db, ctx, "invoicing/reports_revenue.html", "revenue")
    if not isinstance(found, tuple):
        return found
    start, end, context = found
    rows = await reports.revenue_by_customer(db, date_from=start, date_to=end)
    totals: dict[str, list[Decimal]] = {}
    for row in rows:
        sums = totals.setdefault(row.currency, [Decimal(0), Decimal(0), Decimal(0)])
        sums[0] += row.invoiced
        sums[1] += row.credited
        sums[2] += row.net
    return await page(
        request,
        db,
        ctx,
        "invoicing/reports_revenue.html",
        rows=rows,
        totals=sorted(totals.items()),
        start=start,
        end=end,
        **context,
    )


REPORT_PAGES = [reports_index, aged_receivables_page, vat_page, revenue_page]

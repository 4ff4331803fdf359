"""Invoicing's cards on the co-op's dashboard: what customers owe (open, overdue, the oldest overdue
invoices) and what was invoiced month by month, this month against the last."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.module import DashboardCard
from core.money import format_money
from core.tenants import TenantContext
from core.web.charts import bar_chart, month_bars
from modules.invoicing.services.overview import MONTHS, invoiced_by_month, receivables
from modules.invoicing.services.rounding import document_places

__all__ = ["DASHBOARD_CARDS"]


async def load_receivables(session: AsyncSession, ctx: TenantContext) -> Mapping[str, Any]:
    owed = await receivables(session, currency=ctx.currency, today=ctx.today())

    def money(amount: Decimal) -> str:
        return format_money(amount, owed.currency, ctx.locale)

    return {
        "owed": owed,
        "open": money(owed.open_total),
        "overdue": money(owed.overdue_total),
        "oldest": [(invoice, money(invoice.balance)) for invoice in owed.oldest_overdue],
    }


async def load_invoiced(session: AsyncSession, ctx: TenantContext) -> Mapping[str, Any]:
    invoiced = await invoiced_by_month(session, currency=ctx.currency, today=ctx.today())
    bars = month_bars(
        {month.month: month.invoiced for month in invoiced.months},
        last=ctx.today(),
        months=MONTHS,
        places=document_places(invoiced.currency),
        locale=ctx.locale,
    )
    change = invoiced.this_month - invoiced.last_month
    return {
        "chart": bar_chart(
            f"Invoiced per month, {invoiced.currency} excluding VAT, net of credit notes",
            bars,
            value_heading=f"Invoiced ({invoiced.currency})",
        ),
        "this_month": format_money(invoiced.this_month, invoiced.currency, ctx.locale),
        "last_month": format_money(invoiced.last_month, invoiced.currency, ctx.locale),
        "change": format_money(abs(change), invoiced.currency, ctx.locale),
        "direction": "up" if change > 0 else "down" if change < 0 else "level",
    }


DASHBOARD_CARDS = (
    DashboardCard(
        "Receivables",
        "invoicing/cards/receivables.html",
        load=load_receivables,
        permission="invoicing.view",
        order=20,
    ),
    DashboardCard(
        "Invoiced",
        "invoicing/cards/invoiced.html",
        load=load_invoiced,
        permission="invoicing.view",
        order=21,
    ),
)

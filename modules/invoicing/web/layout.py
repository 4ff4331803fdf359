"""What every invoicing page shares: amounts and states as people read them, dates as forms send them,
and the layout context."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from core.money import amount_text, format_money, plain_number
from core.tenants import TenantContext
from core.web.shell import render
from modules.invoicing.services.default_vat import seller_country
from modules.invoicing.services.documents import is_overdue
from modules.invoicing.services.rounding import document_places
from modules.invoicing.services.vat_categories import vat_label
from modules.invoicing.vocabulary import KIND_LABELS, STATE_LABELS, VAT_CATEGORIES

__all__ = ["UNITS", "page", "parse_date"]

UNITS: tuple[tuple[str, str], ...] = (
    ("C62", "piece"),
    ("HUR", "hour"),
    ("DAY", "day"),
    ("MON", "month"),
    ("KGM", "kg"),
    ("LTR", "litre"),
    ("MTR", "metre"),
    ("MTK", "m²"),
    ("KWH", "kWh"),
    ("LS", "lump sum"),
)
"""UN/ECE Recommendation 20 codes offered in the editor (a draft made elsewhere keeps its own)."""


def parse_date(raw: str, field: str, errors: dict[str, str]) -> date | None:
    """A date from a form (``YYYY-MM-DD``); an unreadable one is noted in ``errors``."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = "is not a date (use YYYY-MM-DD)"
        return None


async def page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> Response[Any]:
    """Render an invoicing page in the shell with the helpers its templates use."""
    locale = (ctx.locale or "en").split("_")[0]
    country = await seller_country(db)

    def money(value: Decimal | None, currency: str) -> str:
        return "—" if value is None else format_money(value, currency, locale)

    def vat_name(category: str, rate: Decimal | str | None = None) -> str:
        """The category's label by its rate in the co-op's country ("Reduced rate" for 5.5 in France)."""
        try:
            known = None if rate in (None, "") else Decimal(str(rate).replace(",", ".").rstrip("% "))
        except ArithmeticError:
            known = None
        if known is not None and not known.is_finite():
            known = None
        return vat_label(category, known, country)

    return await render(
        request,
        db,
        template,
        ctx=ctx,
        status=status,
        money=money,
        amount_text=amount_text,
        places=document_places,
        plain=plain_number,
        state_labels=STATE_LABELS,
        kind_labels=KIND_LABELS,
        vat_categories=VAT_CATEGORIES,
        vat_label=vat_name,
        units=UNITS,
        today=ctx.today(),
        is_overdue=is_overdue,
        **context,
    )

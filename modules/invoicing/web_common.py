"""What every invoicing page shares: amounts and states as people read them, the customers to choose
from, and the layout context."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from litestar import Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Party
from core.money import format_money, plain_number
from core.tenants import TenantContext
from core.web.shell import render
from modules.invoicing.services.documents import is_overdue
from modules.invoicing.services.totals import document_places
from modules.invoicing.vocabulary import KIND_LABELS, STATE_LABELS, VAT_CATEGORIES

__all__ = [
    "CUSTOMER_CHOICES_LIMIT",
    "STATE_LABELS",
    "UNITS",
    "Customer",
    "amount_text",
    "customers",
    "names_of",
    "page",
    "parse_date",
]

CUSTOMER_CHOICES_LIMIT = 1000
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


@dataclass(frozen=True, slots=True)
class Customer:
    id: uuid.UUID
    name: str
    country: str | None


async def customers(db: AsyncSession) -> list[Customer]:
    """The parties one can invoice, by name (the first thousand; a co-op rarely has more)."""
    rows = await db.execute(
        select(Party.id, Party.name, Party.country)
        .order_by(Party.name, Party.id)
        .limit(CUSTOMER_CHOICES_LIMIT)
    )
    return [Customer(id=row.id, name=row.name, country=row.country) for row in rows]


async def names_of(db: AsyncSession, party_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of ``party_ids``."""
    if not party_ids:
        return {}
    rows = await db.execute(select(Party.id, Party.name).where(Party.id.in_(set(party_ids))))
    return {row.id: row.name for row in rows}


def amount_text(value: Decimal, currency: str) -> str:
    """A plain amount with the document's decimals (``24.00``), as typed in forms and exports."""
    return str(value.quantize(Decimal(1).scaleb(-document_places(currency))))


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

    def money(value: Decimal | None, currency: str) -> str:
        return "—" if value is None else format_money(value, currency, locale)

    return await render(
        request,
        db,
        template,
        ctx=ctx,
        status=status,
        money=money,
        amount_text=amount_text,
        plain=plain_number,
        state_labels=STATE_LABELS,
        kind_labels=KIND_LABELS,
        vat_categories=VAT_CATEGORIES,
        units=UNITS,
        today=ctx.today(),
        is_overdue=is_overdue,
        **context,
    )

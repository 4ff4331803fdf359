"""The VAT a new invoice line starts with: the co-op's chosen category and rate, checked by the rules
every line follows, and the co-op's country, whose standard rate is the default until one is chosen."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.models import Tenant
from core.money import parse_amount, plain_number
from modules.invoicing.services.line_checks import validate_lines
from modules.invoicing.services.totals import LineInput

__all__ = ["VatDefault", "check_default_vat", "seller_country"]


@dataclass(frozen=True, slots=True)
class VatDefault:
    """The VAT category and rate a new invoice line starts with."""

    category: str
    rate: Decimal | None
    """None: no rate is known (a category S without a setting, in a country without a known rate)."""

    @property
    def rate_text(self) -> str:
        return "" if self.rate is None else plain_number(self.rate)


def check_default_vat(category: str, rate: str | None) -> tuple[str, Decimal | None]:
    """A default category and rate that a line could have, by the lines' own VAT rules; a category
    other than S has the rate 0, and S may leave it to the country's standard rate (None)."""
    category = category.strip().upper()
    value = parse_amount(rate.strip(), field="default_vat_rate", places=2) if rate else None
    if category != "S" and value is None:
        value = Decimal(0)
    line = LineInput(
        quantity=Decimal(1), unit_price=Decimal(0), vat_category=category, vat_rate=value or Decimal(0)
    )
    problems = [
        p
        for p in validate_lines([line], [], seller_vat_id="-", buyer_vat_id="-")
        if p["field"] != "lines[0].exemption_reason"
    ]
    if category == "S" and value is None:
        problems = [p for p in problems if not p["field"].endswith("vat_rate")]
    if problems:
        raise InvalidInput(
            problems[0]["message"],
            errors=[
                {"field": "default_vat_" + p["field"].rsplit("_", 1)[-1], "message": p["message"]}
                for p in problems
            ],
        )
    return category, value


async def seller_country(session: AsyncSession) -> str | None:
    """The session tenant's country (ISO 3166 alpha-2), as its legal address gives it."""
    address = await session.scalar(select(Tenant.address).where(Tenant.id == session.info.get("tenant_id")))
    country = (address or {}).get("country")
    return str(country).upper() if country else None

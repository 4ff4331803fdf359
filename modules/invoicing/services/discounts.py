"""A line's discount as people write it: an amount or a percentage of the line, turned into the line
allowance amount that EN 16931 stores and sends."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.errors import InvalidInput
from core.money import parse_amount
from modules.invoicing.services.rounding import EXACT, round_amount

__all__ = ["line_discount"]


def line_discount(
    raw: str | Decimal, *, quantity: Decimal, unit_price: Decimal, places: int, field: str
) -> Decimal:
    """A line's discount as the amount stored and sent (EN 16931 BT-136, the line allowance amount).

    An amount ("10.00") is taken as it is. A percentage ("10%") is of the line's gross amount,
    ``|quantity * unit_price| * percent / 100``, rounded half-up to ``places`` (the document's
    decimals): BT-136 = BT-137 * BT-138 / 100. The percentage itself is not kept; the amount is what
    the totals, the PDF and the e-invoice carry, so all three agree to the cent.
    """
    text = str(raw).strip()
    if not text.endswith("%"):
        try:
            return parse_amount(text, field=field, places=4)
        except InvalidInput as exc:
            if "decimal number" not in exc.errors[0]["message"]:
                raise
            raise InvalidInput.field(field, _UNREADABLE_DISCOUNT) from None
    try:
        percent = Decimal(text.removesuffix("%").strip())
    except InvalidOperation:
        raise InvalidInput.field(field, _UNREADABLE_DISCOUNT) from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise InvalidInput.field(field, "a percentage is between 0% and 100%")
    exponent = percent.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise InvalidInput.field(field, "a percentage has at most 4 decimal places")
    base = EXACT.abs(EXACT.multiply(quantity, unit_price))
    return round_amount(EXACT.divide(EXACT.multiply(base, percent), 100), places)


_UNREADABLE_DISCOUNT = "is neither an amount nor a percentage: write e.g. 10.00 or 10%"

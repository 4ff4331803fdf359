"""Rounding of document amounts: the decimals a document's amounts have, and how they are rounded.

EN 16931 BR-DEC: amounts have at most two decimals; a currency with fewer minor units has fewer.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

from core.money import amount_text, minor_unit

__all__ = ["EXACT", "PRECISION", "document_amount_text", "document_places", "round_amount"]

PRECISION = 60
"""Digits of intermediate results: ``quantity * unit_price`` of the largest allowed values stays exact."""
EXACT = Context(prec=PRECISION, rounding=ROUND_HALF_UP)
"""The context of the calculations: no intermediate result is rounded, and rounding is half up."""
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(5)}


def document_places(currency: str) -> int:
    """Decimals of amounts on a document: the currency's minor unit, at most 2 (EN 16931 BR-DEC)."""
    return min(minor_unit(currency), 2)


def document_amount_text(value: Decimal, currency: str) -> str:
    """An amount as written on a document and its exports: exactly the document's decimals (BR-DEC),
    half-up, never in E notation, never ``-0.00``."""
    return amount_text(value, document_places(currency))


def round_amount(amount: Decimal, places: int) -> Decimal:
    """Half away from zero to ``places`` decimals, never a negative zero."""
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    return EXACT.plus(amount.quantize(quantum, context=EXACT))  # unary plus drops the sign of a zero

"""Money: ``Decimal`` amounts with an ISO 4217 currency, rounded half-up to the minor unit.

The minor unit (exponent) comes from ISO 4217 itself (JPY 0, BHD 3, CLF 4), not from display
conventions; Babel formats amounts for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Self

from babel.numbers import format_currency
from babel.numbers import list_currencies as _babel_currencies

from core.errors import InvalidInput

__all__ = [
    "Money",
    "format_money",
    "is_currency",
    "minor_unit",
    "parse_amount",
    "plain_number",
    "round_money",
]

# ISO 4217 exponents that differ from 2 (list one, active codes).
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
MAX_AMOUNT = Decimal(10) ** 15  # what NUMERIC(19, 4) holds, with room for sums
_NOT_MONEY = {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
_CURRENCIES = frozenset(c for c in _babel_currencies() if len(c) == 3 and c.isupper()) - _NOT_MONEY


def is_currency(code: str) -> bool:
    """True for an ISO 4217 code of a currency in use."""
    return code in _CURRENCIES


def minor_unit(currency: str) -> int:
    """The number of decimals of ``currency``'s minor unit (ISO 4217 exponent)."""
    if not is_currency(currency):
        raise InvalidInput.field("currency", f"{currency!r} is not an ISO 4217 currency code")
    return _EXPONENTS.get(currency, 2)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


def parse_amount(raw: str | int | Decimal, *, field: str = "amount", places: int | None = None) -> Decimal:
    """Parse an amount sent as a decimal string; refuse floats, NaN, infinities and excess places."""
    if isinstance(raw, float | bool):
        raise InvalidInput.field(field, 'send amounts as decimal strings such as "12.50"')
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise InvalidInput.field(field, f"{raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise InvalidInput.field(field, "must be a finite number")
    if abs(value) >= MAX_AMOUNT:
        raise InvalidInput.field(field, f"must be smaller than {MAX_AMOUNT:,}")
    exponent = value.as_tuple().exponent
    if places is not None and isinstance(exponent, int) and -exponent > places:
        raise InvalidInput.field(field, f"has more than {places} decimal places")
    return value


def plain_number(value: Decimal) -> str:
    """A decimal as people type it: ``2``, ``10.5``, ``20``; never ``1E+1``, never ``-0``."""
    text = str(value)
    if "E" in text:
        text = format(value.normalize(), "f")
    elif "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def amount_text(value: Decimal, places: int) -> str:
    """An amount as plain text with exactly ``places`` decimals, rounded half-up: ``24.00``, never
    ``2.4E+1`` and never ``-0.00``. ``places`` is the currency's minor unit or a document's decimals."""
    quantized = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) + 0  # + 0: no "-0"
    return format(quantized, "f")


def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """``1234.5, EUR, fr`` → ``1 234,50 €``: rounded to the ISO minor unit, formatted by Babel."""
    return str(format_currency(round_money(amount, currency), currency, locale=locale))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency; arithmetic refuses to mix currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        minor_unit(self.currency)
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money takes a Decimal, never a {type(self.amount).__name__}")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Self:
        self._same(other)
        return type(self)(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Self:
        self._same(other)
        return type(self)(self.amount - other.amount, self.currency)

    def __neg__(self) -> Self:
        return type(self)(-self.amount, self.currency)

    def rounded(self) -> Self:
        return type(self)(round_money(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"

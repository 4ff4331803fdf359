"""What the CII and the UBL syntax say alike: amounts with the document's decimals, dates, VAT
exemption reasons and the payment means, all read from one ``InvoiceSnapshot``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from modules.invoicing.services.rounding import document_places
from modules.invoicing.services.snapshots import InvoiceSnapshot
from modules.invoicing.services.totals import VatBreakdown
from modules.invoicing.vocabulary import VAT_CATEGORIES

__all__ = [
    "EXEMPT_CATEGORIES",
    "RATELESS_CATEGORIES",
    "compact_date",
    "exemption_code",
    "exemption_reason",
    "iso_date",
    "payment_means_code",
    "payment_reference",
    "price_text",
    "quantity_text",
    "rate_text",
    "states_vat_numbers",
]

EXEMPT_CATEGORIES = frozenset({"E", "AE", "K", "G", "O"})
"""Categories whose VAT breakdown states why (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10)."""

RATELESS_CATEGORIES = frozenset({"O"})
"""Not subject to VAT: no rate on lines, allowances, charges or the breakdown (BR-O-05..BR-O-08)."""

_EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G", "O": "VATEX-EU-O"}
"""CEF VATEX codes (BT-121) that follow from the category alone; exemptions (E) need the article."""


def states_vat_numbers(snapshot: InvoiceSnapshot) -> bool:
    """False for an invoice outside the scope of VAT: it names neither party's VAT number (BR-O-02..04;
    category O is never mixed with another, BR-O-11..14)."""
    return not any(line.vat_category in RATELESS_CATEGORIES for line in snapshot.lines)


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def price_text(value: Decimal, currency: str) -> str:
    """A unit price: at least the document's decimals, more when the price has them (no BR-DEC rule)."""
    places = document_places(currency)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return format(value, "f")
    return format(_quantize(value, places), "f")


def quantity_text(value: Decimal) -> str:
    """A quantity without trailing zeros: 10, 1.5, 0.25."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def rate_text(value: Decimal) -> str:
    """A VAT rate in percent with two decimals (20.00, 5.50), more if the rate has them."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > 2:
        return format(value, "f")
    return format(_quantize(value, 2), "f")


def compact_date(value: date) -> str:
    """A date in UN/CEFACT format 102 (CCYYMMDD), as CII writes it."""
    return value.strftime("%Y%m%d")


def iso_date(value: date) -> str:
    """A date as UBL writes it (ISO 8601, CCYY-MM-DD)."""
    return value.isoformat()


def exemption_reason(group: VatBreakdown) -> str | None:
    """BT-120 for a breakdown group: its own reason, else the category's name for exempt categories."""
    if group.category not in EXEMPT_CATEGORIES:
        return None  # BR-S-10, BR-Z-10: no exemption reason on taxed categories
    return group.exemption_reason or VAT_CATEGORIES.get(group.category, group.category)


def exemption_code(category: str) -> str | None:
    """BT-121 when the category alone determines it."""
    return _EXEMPTION_CODES.get(category)


def payment_means_code(snapshot: InvoiceSnapshot) -> str:
    """BT-81 (UNTDID 4461): 58 SEPA credit transfer for a euro IBAN, 30 other credit transfer, 1 else.

    BR-61: a credit transfer names the account (BT-84), so without an IBAN the means is "not defined".
    """
    if not snapshot.payment_iban:
        return "1"
    return "58" if snapshot.currency == "EUR" else "30"


def payment_reference(snapshot: InvoiceSnapshot) -> str | None:
    """BT-83 remittance information: the given reference, else the document number."""
    return snapshot.payment_reference or snapshot.number

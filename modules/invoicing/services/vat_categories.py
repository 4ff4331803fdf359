"""What each VAT category asks of a document: its order in the VAT breakdown, whether it carries an
exemption reason (and which one by default), whether it needs both parties' VAT ids."""

from __future__ import annotations

from decimal import Decimal

from modules.invoicing.vocabulary import REDUCED_RATE_LABEL, VAT_CATEGORIES

__all__ = [
    "CATEGORY_ORDER",
    "DEFAULT_EXEMPTION_REASONS",
    "NEEDS_BOTH_VAT_IDS",
    "NO_EXEMPTION_REASON",
    "STANDARD_RATES",
    "category_name",
    "is_reduced_rate",
    "stated_reason",
    "vat_group",
    "vat_label",
]

CATEGORY_ORDER: dict[str, int] = {category: i for i, category in enumerate(VAT_CATEGORIES)}
NO_EXEMPTION_REASON = frozenset({"S", "Z"})
NEEDS_BOTH_VAT_IDS = frozenset({"AE", "K"})
DEFAULT_EXEMPTION_REASONS: dict[str, str] = {
    # The texts of the CEF VATEX code list (VATEX-EU-AE, -IC, -G, -O).
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}
"""Used when a line of these categories gives no reason; an exempt (E) line must give its own."""


def vat_group(category: str, rate: Decimal) -> tuple[str, Decimal]:
    """The VAT breakdown a line or adjustment belongs to; ``20`` and ``20.00`` are the same group."""
    return category, rate.normalize() + 0


def stated_reason(text: str | None) -> str | None:
    """An exemption reason as given, trimmed; None when none is given."""
    if text is None or not text.strip():
        return None
    return text.strip()


def category_name(category: str) -> str:
    """A category as messages name it: "exempt from vat (E)"."""
    return f"{VAT_CATEGORIES[category].lower()} ({category})"


STANDARD_RATES: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        # The EU's "VAT rates applied in the Member States" (DG TAXUD, 2025 edition), with the changes
        # in force since: Finland 25.5 (Sept 2024), Slovakia 23 (2025), Estonia 24 (July 2025),
        # Romania 21 (Aug 2025). Beyond the EU: the United Kingdom, Norway, Switzerland.
        "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
        "EE": "24", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
        "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
        "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23",
        "GB": "20", "NO": "25", "CH": "8.1",
    }.items()
}  # fmt: skip
"""Each country's standard VAT rate: a category S rate below it is a reduced rate."""


def is_reduced_rate(category: str, rate: Decimal, country: str | None) -> bool:
    """Whether a category S rate is one of the seller's country's reduced rates (5.5 % in France):
    EN 16931 has one category, S, for the standard rate and the reduced ones alike."""
    standard = STANDARD_RATES.get((country or "").upper())
    return category == "S" and standard is not None and rate < standard


def vat_label(category: str, rate: Decimal | None, country: str | None) -> str:
    """A VAT category as a bookkeeper reads it, by its rate in the seller's country: category S at
    5.5 % in France is "Reduced rate", at 20 % "Standard rate"; every other category by its name."""
    if rate is not None and is_reduced_rate(category, rate, country):
        return REDUCED_RATE_LABEL
    return VAT_CATEGORIES.get(category, category)

"""What each VAT category asks of a document: its order in the VAT breakdown, whether it carries an
exemption reason (and which one by default), whether it needs both parties' VAT ids."""

from __future__ import annotations

from decimal import Decimal

from modules.invoicing.vocabulary import VAT_CATEGORIES

__all__ = [
    "CATEGORY_ORDER",
    "DEFAULT_EXEMPTION_REASONS",
    "NEEDS_BOTH_VAT_IDS",
    "NO_EXEMPTION_REASON",
    "category_name",
    "stated_reason",
    "vat_group",
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

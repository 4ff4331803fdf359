"""The words printed on invoices and credit notes, in the languages documents are issued in.

A document speaks its customer's language (``InvoiceSnapshot.language``); numbers, amounts and dates
are formatted by Babel for the same language. The words come from invoicing's message catalogs,
``locale/<language>/LC_MESSAGES/invoicing.po``, whose message ids are the English texts (see
``docs/translating.md``): the languages a document can be issued in are English and every language
with a catalog. A test holds every catalog complete, so a missing word is a failing test, not an
English word on a French invoice.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from types import MappingProxyType

from babel import Locale

from core.i18n import SOURCE_LANGUAGE, MessageCatalogs
from modules.invoicing.services.vat_categories import is_reduced_rate

__all__ = [
    "CATALOGS",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "category_name",
    "labels_for",
    "language_names",
    "language_of",
    "translations",
    "unit_label",
]

CATALOGS = MessageCatalogs(Path(__file__).parents[1] / "locale", "invoicing")
DEFAULT_LANGUAGE = SOURCE_LANGUAGE
LANGUAGES: tuple[str, ...] = CATALOGS.languages()

_COMMON_UNITS = {"LTR": "l", "MTK": "m²", "MTQ": "m³", "KMT": "km", "MIN": "min", "TNE": "t", "KWH": "kWh"}
"""Unit symbols every language writes the same way."""


def language_of(language: str | None) -> str:
    """One of ``LANGUAGES`` for a language tag (``fr``, ``fr-BE``, ``de_AT``), else English."""
    base = (language or "").replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def language_names() -> dict[str, str]:
    """Each document language by its own name ("English", "français", "Deutsch"): whoever picks one
    finds their own, whatever language the page is in; a new catalog brings its name with it."""
    return {code: Locale.parse(code).get_display_name(code) or code for code in LANGUAGES}


def translations(language: str | None) -> NullTranslations:
    """Invoicing's texts in the document language nearest to ``language`` (see ``language_of``)."""
    return CATALOGS.translations(language_of(language))


def labels_for(language: str | None) -> Mapping[str, str]:
    """Every label of a document in ``language`` (read-only)."""
    return _labels(language_of(language))


def category_name(
    category: str, language: str | None, *, rate: Decimal | None = None, country: str | None = None
) -> str:
    """The VAT category (EN 16931 BT-118 code) as a customer reads it; given the rate and the seller's
    country, a category S rate below the country's standard rate is named a reduced rate."""
    if rate is not None and is_reduced_rate(category, rate, country):
        return _categories(language_of(language))["reduced"]
    return _categories(language_of(language)).get(category, category)


def unit_label(code: str, language: str | None) -> str:
    """A UN/ECE Recommendation 20 unit code as printed; unknown codes are printed as they are."""
    return _units(language_of(language)).get(code) or _COMMON_UNITS.get(code, code)


@cache
def _labels(language: str) -> Mapping[str, str]:
    texts = CATALOGS.translations(language)
    gettext, pgettext = texts.gettext, texts.pgettext
    return MappingProxyType(
        {
            "invoice": gettext("Invoice"),
            "credit_note": gettext("Credit note"),
            "draft_banner": gettext("DRAFT \N{EM DASH} not a valid invoice"),
            "draft_watermark": gettext("DRAFT"),
            "number": gettext("Number"),
            "issue_date": gettext("Date"),
            "due_date": gettext("Due date"),
            "payment_terms": gettext("Payment terms"),
            "buyer_reference": gettext("Your reference"),
            "order_reference": gettext("Purchase order"),
            # Translators: "Corrects invoice F-2026-00042 of 14 March 2026", on a credit note.
            "corrects": gettext("Corrects invoice"),
            "of_date": pgettext("invoice number of its date", "of"),
            "bill_to": gettext("Bill to"),
            "vat_id": gettext("VAT number"),
            "company_id": gettext("Registration no."),
            # Translators: the heading of the column of line numbers.
            "position": gettext("#"),
            "description": gettext("Description"),
            "quantity": gettext("Qty"),
            "unit": gettext("Unit"),
            "unit_price": gettext("Unit price"),
            "discount": pgettext("column of line discounts", "Discount"),
            "vat_rate": pgettext("column of VAT rates", "VAT"),
            "net_amount": gettext("Amount"),
            "allowance": pgettext("allowance on the whole document", "Discount"),
            "charge": gettext("Charge"),
            "vat_breakdown": gettext("VAT breakdown"),
            "vat_category": gettext("Category"),
            "taxable_amount": gettext("Taxable amount"),
            "vat_amount": gettext("VAT amount"),
            "sum_lines": gettext("Total of lines"),
            "allowances_total": gettext("Discounts"),
            "charges_total": gettext("Charges"),
            "net_total": gettext("Total excl. VAT"),
            "vat_total": pgettext("total of VAT", "VAT"),
            "gross_total": gettext("Total incl. VAT"),
            "prepaid": gettext("Paid"),
            "rounding": gettext("Rounding"),
            "amount_due": gettext("Amount due"),
            "refund_due": gettext("Amount credited"),
            "payment": gettext("Payment"),
            "payment_by_transfer": gettext("Please pay by bank transfer to"),
            "iban": gettext("IBAN"),
            "bic": gettext("BIC"),
            "payment_reference": gettext("Reference"),
            "notes": gettext("Notes"),
            # Translators: "Page 1 of 2", at the foot of every page.
            "page": gettext("Page"),
            "page_of": pgettext("page number of pages", "of"),
        }
    )


@cache
def _categories(language: str) -> Mapping[str, str]:
    gettext = CATALOGS.translations(language).gettext
    return MappingProxyType(
        {
            "S": gettext("Standard rate"),
            "reduced": gettext("Reduced rate"),
            "Z": gettext("Zero rated"),
            "E": gettext("Exempt from VAT"),
            "AE": gettext("Reverse charge"),
            "K": gettext("Intra-community supply, exempt"),
            "G": gettext("Export outside the EU, exempt"),
            "O": gettext("Outside the scope of VAT"),
        }
    )


@cache
def _units(language: str) -> Mapping[str, str]:
    pgettext = CATALOGS.translations(language).pgettext
    return MappingProxyType(
        {
            "C62": pgettext("unit C62: one", "pc"),
            "H87": pgettext("unit H87: piece", "pc"),
            "HUR": pgettext("unit HUR: hour", "h"),
            "DAY": pgettext("unit DAY: day", "day"),
            "MON": pgettext("unit MON: month", "month"),
            "KGM": pgettext("unit KGM: kilogram", "kg"),
            "MTR": pgettext("unit MTR: metre", "m"),
        }
    )

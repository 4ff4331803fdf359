"""The closed sets of invoicing's words: each value as stored, with the label a bookkeeper reads.

A value is the string stored in the database (a ``StrEnum`` member equals its string), and the
database refuses any other (``invoicing_0007``'s CHECK constraints, declared again on the models).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "BUCKETS",
    "BUCKET_LABELS",
    "FILE_KINDS",
    "FREQUENCIES",
    "KINDS",
    "KIND_LABELS",
    "METHODS",
    "METHOD_LABELS",
    "OPEN_STATES",
    "REDUCED_RATE_LABEL",
    "STATES",
    "STATE_LABELS",
    "VAT_CATEGORIES",
    "AgeBucket",
    "DocumentKind",
    "DocumentState",
    "FileKind",
    "Frequency",
    "PaymentMethod",
    "ReminderTone",
    "VatCategory",
    "check_values",
]


class DocumentState(StrEnum):
    """Where a document stands: draft → issued → (partially_paid) → paid; a quote ends converted."""

    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CONVERTED = "converted"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    DocumentState.DRAFT: "Draft",
    DocumentState.ISSUED: "Open",
    DocumentState.PARTIALLY_PAID: "Partly paid",
    DocumentState.PAID: "Paid",
    DocumentState.CONVERTED: "Converted",
}

OPEN_STATES: tuple[DocumentState, ...] = (DocumentState.ISSUED, DocumentState.PARTIALLY_PAID)
"""An issued invoice with something still to pay: what is receivable, reminded and allocated to."""


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    QUOTE = "quote"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    DocumentKind.INVOICE: "Invoice",
    DocumentKind.CREDIT_NOTE: "Credit note",
    DocumentKind.QUOTE: "Quote",
}


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    CHEQUE = "cheque"
    DIRECT_DEBIT = "direct_debit"
    MUTUAL_CREDIT = "mutual_credit"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _METHOD_LABELS[self]


_METHOD_LABELS = {
    PaymentMethod.BANK_TRANSFER: "Bank transfer",
    PaymentMethod.CARD: "Card",
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CHEQUE: "Cheque",
    PaymentMethod.DIRECT_DEBIT: "Direct debit",
    PaymentMethod.MUTUAL_CREDIT: "Mutual credit",
    PaymentMethod.OTHER: "Other",
}


class Frequency(StrEnum):
    """How often a recurring plan makes its invoice."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def months(self) -> int:
        """The months from one invoice of the plan to the next."""
        return _MONTHS[self]


_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


class ReminderTone(IntEnum):
    """The wording of a reminder. A tenant sets how many levels there are (its reminder days); the
    third and every later level share the final wording."""

    FIRST = 1
    SECOND = 2
    FINAL = 3

    @classmethod
    def of(cls, level: int) -> ReminderTone:
        return cls(min(max(level, 1), cls.FINAL))

    @property
    def label(self) -> str:
        return _TONE_LABELS[self]


_TONE_LABELS = {
    ReminderTone.FIRST: "First reminder",
    ReminderTone.SECOND: "Second reminder",
    ReminderTone.FINAL: "Final reminder",
}


class FileKind(StrEnum):
    """A stored rendering of an issued document."""

    PDF = "pdf"

    @property
    def label(self) -> str:
        return "Factur-X PDF"


class AgeBucket(StrEnum):
    """The columns of aged receivables, by days past the due date."""

    CURRENT = "current"
    DAYS_1_30 = "days_1_30"
    DAYS_31_60 = "days_31_60"
    DAYS_61_90 = "days_61_90"
    DAYS_OVER_90 = "days_over_90"

    @property
    def label(self) -> str:
        return _BUCKET_LABELS[self]


_BUCKET_LABELS = {  # with en dashes, as printed
    AgeBucket.CURRENT: "Not yet due",
    AgeBucket.DAYS_1_30: "1\u201330 days",
    AgeBucket.DAYS_31_60: "31\u201360 days",
    AgeBucket.DAYS_61_90: "61\u201390 days",
    AgeBucket.DAYS_OVER_90: "Over 90 days",
}


class VatCategory(StrEnum):
    """The VAT category codes of EN 16931 (UNCL5305 subset), named as on the invoice."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    OUTSIDE_SCOPE = "O"

    @property
    def label(self) -> str:
        return _VAT_LABELS[self]


_VAT_LABELS = {
    VatCategory.STANDARD: "Standard rate",
    VatCategory.ZERO: "Zero rate",
    VatCategory.EXEMPT: "Exempt from VAT",
    VatCategory.REVERSE_CHARGE: "Reverse charge",
    VatCategory.INTRA_COMMUNITY: "Intra-community supply",
    VatCategory.EXPORT: "Export outside the EU",
    VatCategory.OUTSIDE_SCOPE: "Outside the scope of VAT",
}
REDUCED_RATE_LABEL = "Reduced rate"
"""Category S below the standard rate of the seller's country (see ``vat_categories.vat_label``)."""


STATES: tuple[str, ...] = tuple(DocumentState)
KINDS: tuple[str, ...] = tuple(DocumentKind)
METHODS: tuple[str, ...] = tuple(PaymentMethod)
FREQUENCIES: tuple[str, ...] = tuple(Frequency)
BUCKETS: tuple[str, ...] = tuple(AgeBucket)

STATE_LABELS: dict[str, str] = {state: state.label for state in DocumentState}
KIND_LABELS: dict[str, str] = {kind: kind.label for kind in DocumentKind}
METHOD_LABELS: dict[str, str] = {method: method.label for method in PaymentMethod}
BUCKET_LABELS: dict[str, str] = {bucket: bucket.label for bucket in AgeBucket}
VAT_CATEGORIES: dict[str, str] = {category: category.label for category in VatCategory}
"""EN 16931 VAT categories with their names, in the order a VAT breakdown lists them."""
FILE_KINDS: tuple[str, ...] = tuple(FileKind)


def check_values(column: str, vocabulary: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint keeping ``column`` to the values of ``vocabulary``."""
    return f"{column} IN ({', '.join(repr(str(value)) for value in vocabulary)})"

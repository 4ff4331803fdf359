"""Invoicing's business rules, one error each, with a stable problem ``type`` (``invoicing/...``) a
client can branch on; the detail says what to do instead, for a person."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from core.errors import Conflict, DomainError

if TYPE_CHECKING:
    from modules.invoicing.models import Document, Payment

__all__ = [
    "AlreadyIssued",
    "AlreadyPaid",
    "CreditExceedsInvoice",
    "DocumentFrozen",
    "DraftNotPayable",
    "DraftNotSent",
    "IssuedOnly",
    "NoCreditHeld",
    "NotAQuote",
    "NotCreditable",
    "NotRemindable",
    "OverAllocated",
    "PaymentExhausted",
    "PreviewBusy",
    "PreviewTooSlow",
    "QuoteAlreadyConverted",
    "QuoteNotIssued",
    "QuoteNotSent",
]


class AlreadyIssued(Conflict):
    """A document is issued once: its number and content are then fixed."""

    type = "invoicing/already-issued"

    def __init__(self, document: Document) -> None:
        super().__init__(f"{document.number or 'this document'} is already issued")


class QuoteNotIssued(Conflict):
    """A quote never gets an invoice number; it is converted into an invoice, which is issued."""

    type = "invoicing/quote-not-issued"

    def __init__(self) -> None:
        super().__init__("a quote is not issued; convert it to an invoice")


class DocumentFrozen(Conflict):
    """An issued document (or a converted quote) never changes and is never deleted; a credit note
    corrects an invoice."""

    type = "invoicing/document-frozen"

    def __init__(self, document: Document, what: str) -> None:
        if document.kind == "quote":
            number = f" {document.number}" if document.number else ""
            detail = f"quote{number} was converted to an invoice and {what}"
        else:
            detail = f"{document.number} is issued and {what}; credit it instead"
        super().__init__(detail)


class NotCreditable(Conflict):
    """Only an issued invoice is credited; a draft is simply changed or deleted."""

    type = "invoicing/not-creditable"

    def __init__(self) -> None:
        super().__init__("only an issued invoice can be credited; a draft is simply changed or deleted")


class CreditExceedsInvoice(Conflict):
    """The credit notes of an invoice together credit at most its gross total."""

    type = "invoicing/credit-exceeds-invoice"

    def __init__(self, invoice: Document, already: Decimal) -> None:
        super().__init__(
            f"{invoice.number} is {invoice.total_gross} {invoice.currency}; {already} is already credited, "
            f"so at most {invoice.total_gross - already} can be credited"
        )


class NotAQuote(Conflict):
    """Only a quote is converted into an invoice."""

    type = "invoicing/not-a-quote"

    def __init__(self) -> None:
        super().__init__("only a quote is converted into an invoice")


class QuoteAlreadyConverted(Conflict):
    """A quote is converted once (``concurrently``: by another request, a moment ago)."""

    type = "invoicing/quote-already-converted"

    def __init__(self, number: str | None, *, concurrently: bool = False) -> None:
        if concurrently:
            detail = "this quote is already converted"
        else:
            detail = f"quote {number} is already converted" if number else "already converted"
        super().__init__(detail)


class QuoteNotSent(Conflict):
    """A quote is not mailed as a document; the invoice made from it is, once issued."""

    type = "invoicing/quote-not-sent"

    def __init__(self) -> None:
        super().__init__("a quote is converted into an invoice, and the invoice is sent once issued")


class DraftNotSent(Conflict):
    """Only an issued document goes to a customer: a draft may still change."""

    type = "invoicing/draft-not-sent"

    def __init__(self) -> None:
        super().__init__("only an issued document is sent; issue the draft first")


class DraftNotPayable(Conflict):
    """Money is allocated to issued invoices only."""

    type = "invoicing/draft-not-payable"

    def __init__(self, label: str) -> None:
        super().__init__(f"{label} is a draft; issue it before recording a payment against it")


class AlreadyPaid(Conflict):
    """A paid invoice takes no more money."""

    type = "invoicing/already-paid"

    def __init__(self, label: str) -> None:
        super().__init__(f"{label} is already paid")


class OverAllocated(Conflict):
    """An allocation takes at most what is left to pay on the invoice."""

    type = "invoicing/over-allocated"

    def __init__(self, invoice: Document, amount: Decimal) -> None:
        super().__init__(
            f"{invoice.number} has {invoice.balance} {invoice.currency} left to pay; "
            f"{amount} cannot be allocated to it"
        )


class PaymentExhausted(Conflict):
    """A payment allocates at most what of it is not yet allocated."""

    type = "invoicing/payment-exhausted"

    def __init__(self, payment: Payment, amount: Decimal) -> None:
        super().__init__(
            f"only {payment.unallocated} {payment.currency} of this payment is unallocated; "
            f"{amount} cannot be allocated"
        )


class NoCreditHeld(Conflict):
    """Only the unallocated part of a payment (the customer's credit) is applied to invoices later."""

    type = "invoicing/no-credit-held"

    def __init__(self) -> None:
        super().__init__("this payment is fully allocated; it holds no credit")


class NotRemindable(Conflict):
    """Reminders concern issued invoices with something left to pay."""

    type = "invoicing/not-remindable"

    def __init__(self) -> None:
        super().__init__("only an issued invoice that is not paid gets reminders")


class IssuedOnly(Conflict):
    """An e-invoice needs the number given at issue (BT-1); a draft has none."""

    type = "invoicing/issued-only"

    def __init__(self) -> None:
        super().__init__("a draft has no number: e-invoices are made from issued documents only")


class PreviewBusy(DomainError):
    """A co-op's previews are laid out a few at a time, so one co-op cannot fill the install's preview
    lane; the client tries again shortly."""

    status = 429
    type = "invoicing/preview-busy"
    title = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "other previews of this co-op are being laid out; try again in a moment",
            extra={"retry_after": retry_after},
        )


class PreviewTooSlow(DomainError):
    """A preview that cannot be laid out in the time allowed (the draft is very long, or the install is
    busy with other previews) is stopped rather than left to hold the lane."""

    status = 503
    type = "invoicing/preview-too-slow"
    title = "Service Unavailable"

    def __init__(self, seconds: float, *, waited: bool) -> None:
        detail = (
            "the install is busy laying out other previews; try again in a moment"
            if waited
            else f"this draft could not be laid out in {seconds:g} seconds; shorten it, or issue it "
            "(an issued document's PDF is made once, without this limit)"
        )
        super().__init__(detail, extra={"retry_after": max(1, round(seconds))})

"""Invoices, credit notes and quotes as the API takes and answers them. Amounts travel as decimal strings
("12.50"), never JSON floats."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from core.money import amount_text, plain_number
from modules.invoicing.models import Document
from modules.invoicing.services.languages import LANGUAGES
from modules.invoicing.services.rounding import document_places

if TYPE_CHECKING:
    from modules.invoicing.services.lines import StoredAdjustment, StoredLine

__all__ = ["AdjustmentIn", "CreditIn", "InvoiceIn", "InvoicePatch", "LineIn", "document_out"]


DocumentLanguage = Annotated[
    str,
    msgspec.Meta(
        description=(
            "The language the document is written in: English or a language invoicing has a message "
            f"catalog for, today {', '.join(LANGUAGES)}. Another is refused (422, field `language`)."
        ),
        examples=list(LANGUAGES),
    ),
]
"""A plain string checked by the service: a translator adds a language with a catalog, not with code."""


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    description: str
    unit_price: str
    vat_rate: str
    quantity: str = "1"
    vat_category: str = "S"
    unit: str = "C62"
    discount: str = "0"
    exemption_reason: str | None = None


class AdjustmentIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: str
    vat_rate: str
    is_charge: bool = False
    reason: str = ""
    vat_category: str = "S"


class InvoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID
    lines: list[LineIn]
    currency: str | None = None
    adjustments: list[AdjustmentIn] = msgspec.field(default_factory=list)
    kind: Literal["invoice", "quote"] = "invoice"
    issue_date: date | None = None
    due_date: date | None = None
    delivery_date: date | None = None
    payment_terms_days: int | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    notes: str | None = None
    payment_iban: str | None = None
    payment_bic: str | None = None
    language: DocumentLanguage | None = None
    issue: bool = False
    """Issue the invoice in the same call (and transaction): it is numbered at once, or nothing is
    stored. Needs the right to issue."""


class InvoicePatch(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: uuid.UUID | None = None
    lines: list[LineIn] | None = None
    currency: str | None = None
    adjustments: list[AdjustmentIn] | None = None
    issue_date: date | None = None
    due_date: date | None = None
    delivery_date: date | None = None
    payment_terms_days: int | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    notes: str | None = None
    payment_iban: str | None = None
    payment_bic: str | None = None
    language: DocumentLanguage | None = None


class CreditIn(msgspec.Struct, forbid_unknown_fields=True):
    lines: list[LineIn] | None = None
    """Omit to credit the whole invoice (voiding it)."""
    reason: str = ""


def _price(value: Decimal, currency: str) -> str:
    """A unit price or a line discount: the amount's decimals, more when it has more (up to 4), the
    same however it was sent or stored (``10``, ``10.0000`` -> ``10.00``; ``1.9990`` -> ``1.999``)."""
    text = plain_number(value)
    places = document_places(currency)
    return text if len(text.partition(".")[2]) > places else amount_text(value, places)


def document_out(
    document: Document,
    lines: Sequence[StoredLine] | None = None,
    adjustments: Sequence[StoredAdjustment] | None = None,
    *,
    staff: bool = True,
) -> dict[str, Any]:
    """A document as the API answers it; ``staff=False`` (a member reading its own invoices) leaves out
    the co-op's collection state (reminder level, paused reminders)."""
    places = document_places(document.currency)
    out: dict[str, Any] = {
        "id": str(document.id),
        "kind": document.kind,
        "state": document.state,
        "number": document.number,
        "customer_id": str(document.customer_id),
        "currency": document.currency,
        "language": document.language,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "delivery_date": document.delivery_date.isoformat() if document.delivery_date else None,
        "buyer_reference": document.buyer_reference,
        "order_reference": document.order_reference,
        "notes": document.notes,
        "credited_id": str(document.credited_id) if document.credited_id else None,
        "total_lines": amount_text(document.total_lines, places),
        "total_allowances": amount_text(document.total_allowances, places),
        "total_charges": amount_text(document.total_charges, places),
        "total_net": amount_text(document.total_net, places),
        "total_vat": amount_text(document.total_vat, places),
        "total_gross": amount_text(document.total_gross, places),
        "amount_due": amount_text(document.amount_due, places),
        "amount_paid": amount_text(document.amount_settled, places),
        "balance": amount_text(document.balance, places),
        "issued_at": document.issued_at.isoformat() if document.issued_at else None,
        "sent_at": document.sent_at.isoformat() if document.sent_at else None,
    }
    if staff:
        out["reminder_level"] = document.reminder_level
        out["reminders_paused"] = document.reminders_paused
    if lines is not None:
        out["lines"] = [
            {
                "position": line.position,
                "description": line.description,
                "quantity": plain_number(line.quantity),
                "unit": line.unit,
                "unit_price": _price(line.unit_price, document.currency),
                "discount": _price(line.discount, document.currency),
                "vat_category": line.vat_category,
                "vat_rate": plain_number(line.vat_rate),
                "exemption_reason": line.exemption_reason,
                "net_amount": amount_text(line.net_amount, places),
            }
            for line in lines
        ]
    if adjustments is not None:
        out["adjustments"] = [
            {
                "position": a.position,
                "is_charge": a.is_charge,
                "amount": amount_text(a.amount, places),
                "reason": a.reason,
                "vat_category": a.vat_category,
                "vat_rate": plain_number(a.vat_rate),
            }
            for a in adjustments
        ]
    return out

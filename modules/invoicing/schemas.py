"""Request and response shapes. Amounts travel as decimal strings ("12.50"), never JSON floats."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from core.money import plain_number
from modules.invoicing.models import Allocation, Document, Payment
from modules.invoicing.services.totals import document_places

if TYPE_CHECKING:
    from modules.invoicing.services.lines import StoredAdjustment, StoredLine

__all__ = ["CreditIn", "InvoiceIn", "InvoicePatch", "document_out", "payment_out"]


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
    language: Literal["en", "fr", "de", "es", "it"] | None = None
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
    language: Literal["en", "fr", "de", "es", "it"] | None = None


class CreditIn(msgspec.Struct, forbid_unknown_fields=True):
    lines: list[LineIn] | None = None
    """Omit to credit the whole invoice (voiding it)."""
    reason: str = ""


def _amount(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-document_places(currency))) + 0)  # + 0: never "-0.00"


def _price(value: Decimal, currency: str) -> str:
    """A unit price or a line discount: the amount's decimals, more when it has more (up to 4), the
    same however it was sent or stored (``10``, ``10.0000`` -> ``10.00``; ``1.9990`` -> ``1.999``)."""
    text = plain_number(value)
    return text if len(text.partition(".")[2]) > document_places(currency) else _amount(value, currency)


def document_out(
    document: Document,
    lines: Sequence[StoredLine] | None = None,
    adjustments: Sequence[StoredAdjustment] | None = None,
    *,
    staff: bool = True,
) -> dict[str, Any]:
    """A document as the API answers it; ``staff=False`` (a member reading its own invoices) leaves out
    the co-op's collection state (reminder level, paused reminders)."""
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
        "total_lines": _amount(document.total_lines, document.currency),
        "total_allowances": _amount(document.total_allowances, document.currency),
        "total_charges": _amount(document.total_charges, document.currency),
        "total_net": _amount(document.total_net, document.currency),
        "total_vat": _amount(document.total_vat, document.currency),
        "total_gross": _amount(document.total_gross, document.currency),
        "amount_due": _amount(document.amount_due, document.currency),
        "amount_paid": _amount(document.amount_settled, document.currency),
        "balance": _amount(document.balance, document.currency),
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
                "net_amount": _amount(line.net_amount, document.currency),
            }
            for line in lines
        ]
    if adjustments is not None:
        out["adjustments"] = [
            {
                "position": a.position,
                "is_charge": a.is_charge,
                "amount": _amount(a.amount, document.currency),
                "reason": a.reason,
                "vat_category": a.vat_category,
                "vat_rate": plain_number(a.vat_rate),
            }
            for a in adjustments
        ]
    return out


def _money(value: Decimal, currency: str) -> str:
    """An amount at its currency's ISO 4217 minor unit (payments are not bound to 2 decimals)."""
    from core.money import minor_unit

    return str(value.quantize(Decimal(1).scaleb(-minor_unit(currency))))


def payment_out(
    payment: Payment, allocations: list[tuple[Allocation, str | None]] | None = None
) -> dict[str, Any]:
    """A payment; with ``allocations`` (each with its invoice's number), where its money went."""
    out: dict[str, Any] = {
        "id": str(payment.id),
        "customer_id": str(payment.customer_id),
        "date": payment.received_on.isoformat(),
        "amount": _money(payment.amount, payment.currency),
        "currency": payment.currency,
        "method": payment.method,
        "reference": payment.reference,
        "allocated": _money(payment.amount - payment.unallocated, payment.currency),
        "unallocated": _money(payment.unallocated, payment.currency),
        "created_at": payment.created_at.isoformat(),
    }
    if allocations is not None:
        out["allocations"] = [
            {
                "invoice_id": str(allocation.invoice_id),
                "invoice_number": number,
                "amount": _money(allocation.amount, payment.currency),
                "created_at": allocation.created_at.isoformat(),
            }
            for allocation, number in allocations
        ]
    return out

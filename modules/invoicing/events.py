"""The events invoicing publishes, each with its payload's type (declared in ``Module.publishes``)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, TypedDict

from core.events import EventType

__all__ = [
    "CREDIT_NOTE_ISSUED",
    "INVOICE_ISSUED",
    "INVOICE_PAID",
    "PAYMENT_RECORDED",
    "PUBLISHED",
    "DocumentIssued",
    "InvoicePaid",
    "PaymentRecorded",
]


class DocumentIssued(TypedDict):
    document_id: uuid.UUID
    number: str | None
    customer_id: uuid.UUID
    currency: str
    amount_due: Decimal


class InvoicePaid(TypedDict):
    document_id: uuid.UUID
    number: str | None
    customer_id: uuid.UUID


class PaymentRecorded(TypedDict):
    payment_id: uuid.UUID
    customer_id: uuid.UUID
    amount: Decimal
    currency: str
    invoice_ids: list[uuid.UUID]


INVOICE_ISSUED = EventType("invoice.issued", DocumentIssued)
CREDIT_NOTE_ISSUED = EventType("credit_note.issued", DocumentIssued)
INVOICE_PAID = EventType("invoice.paid", InvoicePaid)
"""An issued invoice became fully settled (by payments or credit notes)."""
PAYMENT_RECORDED = EventType("payment.recorded", PaymentRecorded)

PUBLISHED: tuple[EventType[Any], ...] = (INVOICE_ISSUED, CREDIT_NOTE_ISSUED, INVOICE_PAID, PAYMENT_RECORDED)

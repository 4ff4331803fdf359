"""The events invoicing publishes, each with its typed payload. Invoicing subscribes to none.

Each payload class names its event (``NAME``); ``PUBLISHED`` lists them all, for a subscriber to
check at start-up that the event it listens to exists. Subscribers receive the payload as a mapping
of its fields (``core.events.Event.payload``).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from core import events

__all__ = [
    "CREDIT_NOTE_ISSUED",
    "INVOICE_ISSUED",
    "INVOICE_PAID",
    "PAYMENT_RECORDED",
    "PUBLISHED",
    "CreditNoteIssued",
    "DocumentIssued",
    "InvoiceIssued",
    "InvoicePaid",
    "InvoicingEvent",
    "PaymentRecorded",
    "publish",
]

INVOICE_ISSUED = "invoice.issued"
CREDIT_NOTE_ISSUED = "credit_note.issued"
INVOICE_PAID = "invoice.paid"
PAYMENT_RECORDED = "payment.recorded"


@dataclass(frozen=True, slots=True)
class InvoicingEvent:
    """A fact invoicing tells other modules, inside the transaction that made it true."""

    NAME: ClassVar[str]


@dataclass(frozen=True, slots=True)
class DocumentIssued(InvoicingEvent):
    """An invoice or credit note got its number: ``amount_due`` (BT-115) is now owed or credited."""

    document_id: uuid.UUID
    number: str | None
    customer_id: uuid.UUID
    currency: str
    amount_due: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceIssued(DocumentIssued):
    NAME: ClassVar[str] = INVOICE_ISSUED


@dataclass(frozen=True, slots=True)
class CreditNoteIssued(DocumentIssued):
    NAME: ClassVar[str] = CREDIT_NOTE_ISSUED


@dataclass(frozen=True, slots=True)
class InvoicePaid(InvoicingEvent):
    """Payments and credit notes now cover the whole invoice."""

    NAME: ClassVar[str] = INVOICE_PAID

    document_id: uuid.UUID
    number: str | None
    customer_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PaymentRecorded(InvoicingEvent):
    """Money received from a customer, allocated to ``invoice_ids`` (the rest held as its credit)."""

    NAME: ClassVar[str] = PAYMENT_RECORDED

    payment_id: uuid.UUID
    customer_id: uuid.UUID
    amount: Decimal
    currency: str
    invoice_ids: list[uuid.UUID]


PUBLISHED: dict[str, type[InvoicingEvent]] = {
    event.NAME: event for event in (InvoiceIssued, CreditNoteIssued, InvoicePaid, PaymentRecorded)
}


async def publish(session: AsyncSession, event: InvoicingEvent) -> None:
    """Publish ``event`` under its name, in the caller's transaction."""
    await events.publish(session, event.NAME, asdict(event))

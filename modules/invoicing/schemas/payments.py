"""Payments as the API takes and answers them, and a customer's balances. Amounts travel as decimal
strings at their currency's ISO 4217 minor unit (payments are not bound to a document's decimals)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec

from core.money import amount_text, minor_unit
from modules.invoicing.models import Allocation, Payment
from modules.invoicing.services.balances import CustomerBalance

__all__ = ["AllocateIn", "AllocationIn", "PaymentIn", "balances_out", "payment_out"]


class AllocationIn(msgspec.Struct, forbid_unknown_fields=True):
    invoice_id: uuid.UUID
    amount: str | None = None
    """Omit to apply as much as the invoice's balance and the money at hand allow."""


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    """Money received: for one invoice (``invoice_id``), split (``customer_id`` with ``allocations``),
    or for a customer's open invoices oldest due first (``customer_id`` alone)."""

    amount: str
    received_on: date = msgspec.field(name="date")
    method: str
    invoice_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    currency: str | None = None
    reference: str = ""
    allocations: list[AllocationIn] | None = None


class AllocateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Apply a payment's unallocated amount: to one invoice, or to several with ``allocations``."""

    invoice_id: uuid.UUID | None = None
    amount: str | None = None
    allocations: list[AllocationIn] | None = None


def payment_out(
    payment: Payment, allocations: list[tuple[Allocation, str | None]] | None = None
) -> dict[str, Any]:
    """A payment; with ``allocations`` (each with its invoice's number), where its money went."""
    places = minor_unit(payment.currency)
    out: dict[str, Any] = {
        "id": str(payment.id),
        "customer_id": str(payment.customer_id),
        "date": payment.received_on.isoformat(),
        "amount": amount_text(payment.amount, places),
        "currency": payment.currency,
        "method": payment.method,
        "reference": payment.reference,
        "allocated": amount_text(payment.amount - payment.unallocated, places),
        "unallocated": amount_text(payment.unallocated, places),
        "created_at": payment.created_at.isoformat(),
    }
    if allocations is not None:
        out["allocations"] = [
            {
                "invoice_id": str(allocation.invoice_id),
                "invoice_number": number,
                "amount": amount_text(allocation.amount, places),
                "created_at": allocation.created_at.isoformat(),
            }
            for allocation, number in allocations
        ]
    return out


def balances_out(party_id: uuid.UUID, on: date, balances: Sequence[CustomerBalance]) -> dict[str, Any]:
    """What a customer owes (open, and overdue) and holds as credit on a day, per currency."""
    return {
        "customer_id": str(party_id),
        "date": on.isoformat(),
        "balances": {
            b.currency: {
                "open_invoices": b.open_invoices,
                "receivable": amount_text(b.receivable, minor_unit(b.currency)),
                "overdue": amount_text(b.overdue, minor_unit(b.currency)),
                "credit": amount_text(b.credit, minor_unit(b.currency)),
            }
            for b in balances
        },
    }

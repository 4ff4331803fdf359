"""What other modules may ask of invoicing: a member's open invoices and their balances, a payment
against an invoice (paid in mutual credit, say), an invoice raised from lines (membership dues, share
subscriptions). Each call runs in the caller's session and transaction, for the caller's tenant, with
the same rules as the API: an error is one of ``modules.invoicing.errors`` or ``core.errors``.

This file is the contract and nothing else: the Protocol and the values it speaks in, importing none of
invoicing's internals, so another module may import it. Another module gets the implementation at run
time, ``registry.service("invoicing", Invoicing)``; ``services/interface.py`` implements it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["InvoiceLine", "InvoiceSummary", "Invoicing", "RecordedPayment"]


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """A line to invoice: description, quantity, unit price and VAT rate (category ``S`` unless given).
    A draft's lines are these too (``services.lines.LineData``)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    vat_category: str = "S"
    unit: str = "C62"
    discount: Decimal = Decimal(0)
    exemption_reason: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """An invoice as another module needs it: what it is, and what is left to pay on it."""

    id: uuid.UUID
    number: str | None
    state: str
    currency: str
    issue_date: date | None
    due_date: date | None
    amount_due: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    id: uuid.UUID
    amount: Decimal
    unallocated: Decimal
    """What exceeded the invoice's balance, held as the customer's credit."""


@runtime_checkable
class Invoicing(Protocol):
    """The service interface invoicing publishes (``Module.services``)."""

    async def open_invoices(self, session: AsyncSession, customer_id: uuid.UUID) -> list[InvoiceSummary]:
        """The customer's issued invoices with something left to pay, the oldest due first."""
        ...

    async def invoice(self, session: AsyncSession, invoice_id: uuid.UUID) -> InvoiceSummary:
        """One invoice, with its balance; ``NotFound`` for another tenant's."""
        ...

    async def record_payment(
        self,
        session: AsyncSession,
        invoice_id: uuid.UUID,
        amount: Decimal,
        *,
        method: str,
        received_on: date,
        today: date,
        reference: str = "",
        actor_id: uuid.UUID | None = None,
    ) -> RecordedPayment:
        """Money received against one issued invoice; what exceeds its balance is held as credit."""
        ...

    async def raise_invoice(
        self,
        session: AsyncSession,
        customer_id: uuid.UUID,
        lines: Sequence[InvoiceLine],
        *,
        today: date,
        currency: str | None = None,
        notes: str | None = None,
        issue: bool = True,
        actor_id: uuid.UUID | None = None,
    ) -> InvoiceSummary:
        """An invoice for ``customer_id`` from ``lines`` in the tenant's currency unless given, with the
        tenant's terms; issued (numbered) unless ``issue`` is false, which leaves a draft to review."""
        ...

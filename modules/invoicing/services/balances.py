"""What a customer owes (open and overdue invoices) and holds (unallocated payments and credit notes)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import amount_sum
from core.db.lookup import fetch
from core.models import Party
from modules.invoicing.models import Document, Payment
from modules.invoicing.services.documents import overdue_condition
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind, DocumentState

__all__ = ["CustomerBalance", "customer_balances"]


@dataclass(frozen=True, slots=True)
class CustomerBalance:
    """What a customer owes and holds, in one currency."""

    currency: str
    open_invoices: int
    receivable: Decimal
    """The open balance of issued invoices."""
    overdue: Decimal
    """The part of ``receivable`` past its due date."""
    credit: Decimal
    """Unallocated payments and unallocated credit notes: the customer's to use."""


async def customer_balances(
    session: AsyncSession, customer_id: uuid.UUID, *, today: date
) -> list[CustomerBalance]:
    """One balance per currency the customer has open invoices or credit in, computed in SQL."""
    await fetch(session, Party, customer_id, what="customer")
    balance = Document.amount_due - Document.amount_settled
    owed = (
        await session.execute(
            select(
                Document.currency,
                func.count(Document.id),
                amount_sum(balance),
                amount_sum(case((overdue_condition(today), balance))),
            )
            .where(
                Document.customer_id == customer_id,
                Document.kind == DocumentKind.INVOICE,
                Document.state.in_(OPEN_STATES),
            )
            .group_by(Document.currency)
        )
    ).all()
    credit_notes = (
        await session.execute(
            select(Document.currency, amount_sum(balance))
            .where(
                Document.customer_id == customer_id,
                Document.kind == DocumentKind.CREDIT_NOTE,
                Document.state != DocumentState.DRAFT,
                Document.amount_due > Document.amount_settled,
            )
            .group_by(Document.currency)
        )
    ).all()
    held = (
        await session.execute(
            select(Payment.currency, amount_sum(Payment.unallocated))
            .where(Payment.customer_id == customer_id, Payment.unallocated > 0)
            .group_by(Payment.currency)
        )
    ).all()
    zero = Decimal(0)
    by_currency: dict[str, dict[str, Any]] = {}

    def row(currency: str) -> dict[str, Any]:
        return by_currency.setdefault(
            currency, {"open_invoices": 0, "receivable": zero, "overdue": zero, "credit": zero}
        )

    for currency, count, receivable, overdue in owed:
        entry = row(currency)
        entry.update(open_invoices=int(count), receivable=receivable or zero, overdue=overdue or zero)
    for currency, amount in [*credit_notes, *held]:
        row(currency)["credit"] += amount or zero
    return [CustomerBalance(currency=currency, **by_currency[currency]) for currency in sorted(by_currency)]

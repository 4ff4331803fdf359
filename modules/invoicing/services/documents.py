"""Invoices, credit notes and quotes: finding one, and the rule for when an invoice is overdue.

draft → issued → (partially_paid) → paid. A draft can change or be deleted (``drafts``); an issued
document never changes: it is corrected by a credit note (``crediting``), which settles it like a
payment. Numbers come from a gapless series at issue (``issuing``), never on a draft.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.lookup import fetch
from modules.invoicing.models import Document
from modules.invoicing.vocabulary import OPEN_STATES, DocumentKind

__all__ = ["get_document", "is_overdue", "overdue_condition"]


async def get_document(
    session: AsyncSession, document_id: uuid.UUID, *, for_update: bool = False
) -> Document:
    """The document; ``for_update`` locks it for a change that depends on its state (issue, credit, edit)."""
    return await fetch(session, Document, document_id, what="invoice", for_update=for_update)


def is_overdue(document: Document, today: date) -> bool:
    """An issued invoice with something left to pay after its due date."""
    return (
        document.kind == DocumentKind.INVOICE
        and document.state in OPEN_STATES
        and document.due_date is not None
        and document.due_date < today
    )


def overdue_condition(today: date) -> ColumnElement[Any]:
    """``is_overdue`` as an SQL condition on ``Document``, for lists and totals."""
    return and_(
        Document.state.in_(OPEN_STATES),
        Document.kind == DocumentKind.INVOICE,
        Document.due_date < today,
    )

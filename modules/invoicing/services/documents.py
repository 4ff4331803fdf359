"""Drafts, issuing, credit notes: the life of an invoice.

draft → issued → (partially_paid) → paid. A draft can change or be deleted; an issued document
never changes: it is corrected by a credit note, which settles it like a payment. Numbers come from
a gapless series at issue, never on a draft.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.lookup import fetch
from modules.invoicing.models import Document

__all__ = ["get_document"]


async def get_document(
    session: AsyncSession, document_id: uuid.UUID, *, for_update: bool = False
) -> Document:
    """The document; ``for_update`` locks it for a change that depends on its state (issue, credit, edit)."""
    return await fetch(session, Document, document_id, what="invoice", for_update=for_update)

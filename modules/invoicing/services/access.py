"""Who may read which invoices and payments: staff read every one, a member only its own parties'
issued documents. The rules take the acting user's permissions and parties, never a request."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound, PermissionDenied
from modules.invoicing.models import Document, Payment
from modules.invoicing.services.documents import get_document
from modules.invoicing.services.payments import get_payment

__all__ = ["idempotency_scope", "readable_document", "readable_parties", "readable_payment"]


def readable_parties(
    permissions: Collection[str], party_ids: tuple[uuid.UUID, ...]
) -> tuple[uuid.UUID, ...] | None:
    """None when the user may read every invoice; else the parties whose invoices it may read."""
    if "invoicing.view" in permissions:
        return None
    if "invoicing.own" in permissions:
        return party_ids
    raise PermissionDenied("your role may not see invoices here")


async def readable_document(
    db: AsyncSession,
    document_id: uuid.UUID,
    *,
    permissions: Collection[str],
    party_ids: tuple[uuid.UUID, ...],
) -> Document:
    """A document the user may read; a member asking for another customer's, or for a draft, gets 404."""
    document = await get_document(db, document_id)
    parties = readable_parties(permissions, party_ids)
    if parties is not None and (document.customer_id not in parties or document.state == "draft"):
        raise NotFound("no such invoice")
    return document


async def readable_payment(
    db: AsyncSession,
    payment_id: uuid.UUID,
    *,
    permissions: Collection[str],
    party_ids: tuple[uuid.UUID, ...],
) -> Payment:
    """A payment the user may read; a member asking for another customer's gets 404."""
    payment = await get_payment(db, payment_id)
    parties = readable_parties(permissions, party_ids)
    if parties is not None and payment.customer_id not in parties:
        raise NotFound("no such payment")
    return payment


def idempotency_scope(tenant_id: uuid.UUID, user_id: uuid.UUID | None) -> str:
    """Whose ``Idempotency-Key`` a key is: the same key from another user or tenant is another request."""
    return f"{tenant_id}:{user_id}"

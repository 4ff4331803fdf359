"""The stored renderings of issued documents: made once, so every download, mail and reminder attaches
the same bytes (a reprint of a legal record must be identical)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from core.db.engine import Database
from modules.invoicing.models import Document, DocumentFile
from modules.invoicing.services.snapshots import snapshot_from_json

__all__ = ["stored_file", "stored_pdf"]


async def stored_file(
    database: Database, document: Document, kind: str, make: Callable[[], Awaitable[bytes]]
) -> bytes:
    """The stored rendering ``kind`` of an issued document, made by ``make`` and stored on first use.

    No transaction is held while ``make`` runs (a PDF takes a while); two first uses at once both
    render, and the second keeps what the first stored.
    """
    async with database.session(write=False, tenant_id=document.tenant_id) as session:
        found = await session.scalar(
            select(DocumentFile.content).where(
                DocumentFile.document_id == document.id, DocumentFile.kind == kind
            )
        )
    if found is not None:
        return bytes(found)
    content = await make()
    async with database.transaction(tenant_id=document.tenant_id) as session:
        again = await session.scalar(
            select(DocumentFile.content).where(
                DocumentFile.document_id == document.id, DocumentFile.kind == kind
            )
        )
        if again is not None:
            return bytes(again)
        session.add(
            DocumentFile(
                document_id=document.id,
                kind=kind,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
            )
        )
    return content


async def stored_pdf(database: Database, document: Document) -> bytes:
    """The Factur-X PDF/A-3 of an issued document, rendered from its frozen snapshot on first use."""
    # Imported here: WeasyPrint is heavy to load, and only a first rendering needs it.
    from modules.invoicing.services.pdf import render_invoice_pdf_async

    snapshot = snapshot_from_json(document.snapshot or {}, number=document.number)

    async def make() -> bytes:
        return await render_invoice_pdf_async(snapshot, facturx=True)

    return await stored_file(database, document, "pdf", make)

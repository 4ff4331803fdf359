"""A customer's account page: what it owes, past due and in credit, with its latest documents and
payments."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from core import parties
from core.tenants import TenantContext
from modules.invoicing.services import balances, search
from modules.invoicing.web.layout import page

__all__ = ["CUSTOMER_PAGES"]

HISTORY_SIZE = 50


@get("/customers/{party_id:uuid}", opt={"permission": "invoicing.view"})
async def customer_account(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID
) -> Response[Any]:
    """A customer: what it owes, past due and in credit, and its invoices, credit notes and payments."""
    party = await parties.get_party(db, party_id)
    documents, received = await search.customer_history(db, party_id, limit=HISTORY_SIZE)
    return await page(
        request,
        db,
        ctx,
        "invoicing/customer.html",
        party=party,
        address=parties.party_address(party),
        balances=await balances.customer_balances(db, party_id, today=ctx.today()),
        documents=documents,
        payments=received,
        history_size=HISTORY_SIZE,
    )


CUSTOMER_PAGES = [customer_account]

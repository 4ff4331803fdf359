"""A customer's account under /api/v1/tenants/{tenant}/customers: what it owes and holds as credit."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.tenants import TenantContext
from modules.invoicing.schemas.payments import balances_out
from modules.invoicing.services import access
from modules.invoicing.services.balances import customer_balances

__all__ = ["CustomerAccountController"]


class CustomerAccountController(Controller):
    path = "/customers"
    tags = ["invoicing"]

    @get("/{party_id:uuid}/balance", opt={"permission": None})
    async def balance(self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID) -> dict[str, Any]:
        """What the customer owes (open, and overdue) and holds as credit, per currency."""
        parties = access.readable_parties(ctx.permissions, ctx.party_ids)
        if parties is not None and party_id not in parties:
            raise NotFound("no such customer")
        today = ctx.today()
        balances = await customer_balances(db, party_id, today=today)
        return balances_out(party_id, today, balances)

"""A tenant's parties: the organisations and persons it deals with."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from core import parties
from core.idempotency import idempotent, user_scope
from core.schemas import PartyIn, PartyPatch, party_out, sent_fields, to_dict
from core.tenants import TenantContext

__all__ = ["PartiesController"]


class PartiesController(Controller):
    path = "/api/v1/tenants/{tenant:str}"
    tags = ["parties"]

    @get("/parties", opt={"permission": "core.parties.view"})
    async def list_parties(
        self,
        db: AsyncSession,
        ctx: TenantContext,
        q: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Parties by name; ``q`` searches name, e-mail, VAT number and city."""
        page = await parties.list_parties(db, q=q, kind=kind, limit=limit, cursor=cursor)
        return {"items": [party_out(p) for p in page.items], "next_cursor": page.next_cursor}

    @post("/parties", opt={"permission": "core.parties.manage"})
    async def create_party(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: PartyIn
    ) -> Response[bytes]:
        """Create a party (organisation or person); accepts ``Idempotency-Key``."""

        async def produce() -> tuple[int, Any]:
            party = await parties.create_party(db, to_dict(data), actor_id=ctx.user_id)
            return 201, party_out(party)

        return await idempotent(db, request, user_scope(ctx), produce)

    @get("/parties/{party_id:uuid}", opt={"permission": "core.parties.view"})
    async def show_party(self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID) -> dict[str, Any]:
        """One party."""
        return party_out(await parties.get_party(db, party_id))

    @patch("/parties/{party_id:uuid}", opt={"permission": "core.parties.manage"})
    async def update_party(
        self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID, data: PartyPatch
    ) -> dict[str, Any]:
        """Change a party; send only the fields to change (its kind is fixed)."""
        party = await parties.update_party(db, party_id, sent_fields(data), actor_id=ctx.user_id)
        await db.commit()
        return party_out(party)

    @delete("/parties/{party_id:uuid}", opt={"permission": "core.parties.manage"}, status_code=204)
    async def delete_party(self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID) -> None:
        """Delete a party entered by mistake (refused once it has a membership or other records)."""
        await parties.delete_party(db, party_id, actor_id=ctx.user_id)
        await db.commit()

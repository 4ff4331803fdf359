"""Parties and memberships of a tenant."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from core import parties
from core.errors import InvalidInput
from core.idempotency import idempotent
from core.schemas import MembershipIn, PartyIn, StatusIn, membership_out, party_out, to_dict
from core.tenants import TenantContext

__all__ = ["MembersController"]


def _scope(ctx: TenantContext) -> str:
    return f"{ctx.tenant_id}:{ctx.user_id}"


class MembersController(Controller):
    path = "/api/v1/tenants/{tenant:str}"
    tags = ["members"]

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

        return await idempotent(db, request, _scope(ctx), produce)

    @get("/parties/{party_id:uuid}", opt={"permission": "core.parties.view"})
    async def show_party(self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID) -> dict[str, Any]:
        """One party."""
        return party_out(await parties.get_party(db, party_id))

    @patch("/parties/{party_id:uuid}", opt={"permission": "core.parties.manage"})
    async def update_party(
        self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Change a party; send only the fields to change."""
        allowed = set(PartyIn.__struct_fields__) - {"kind"}
        unknown = set(data) - allowed
        if unknown:
            raise InvalidInput(
                f"unknown or read-only fields: {sorted(unknown)}",
                errors=[{"field": f, "message": "unknown or read-only"} for f in sorted(unknown)],
            )
        party = await parties.update_party(db, party_id, data, actor_id=ctx.user_id)
        await db.commit()
        return party_out(party)

    @delete("/parties/{party_id:uuid}", opt={"permission": "core.parties.manage"}, status_code=204)
    async def delete_party(self, db: AsyncSession, ctx: TenantContext, party_id: uuid.UUID) -> None:
        """Delete a party entered by mistake (refused once it has a membership or other records)."""
        await parties.delete_party(db, party_id, actor_id=ctx.user_id)
        await db.commit()

    @get("/memberships", opt={"permission": "core.parties.view"})
    async def list_memberships(
        self,
        db: AsyncSession,
        ctx: TenantContext,
        status: str | None = None,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Memberships, newest first; filter by status or a search on the party."""
        page = await parties.list_memberships(db, status=status, q=q, limit=limit, cursor=cursor)
        return {"items": [membership_out(m) for m in page.items], "next_cursor": page.next_cursor}

    @post("/memberships", opt={"permission": "core.parties.manage"})
    async def create_membership(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: MembershipIn
    ) -> Response[bytes]:
        """Record a membership; ``status: active`` admits at once with the next member number."""

        async def produce() -> tuple[int, Any]:
            membership = await parties.create_membership(
                db,
                party_id=data.party_id,
                class_code=data.class_code,
                status=data.status,
                on=data.date or ctx.today(),
                actor_id=ctx.user_id,
            )
            return 201, membership_out(membership)

        return await idempotent(db, request, _scope(ctx), produce)

    @get("/memberships/{membership_id:uuid}", opt={"permission": "core.parties.view"})
    async def show_membership(
        self, db: AsyncSession, ctx: TenantContext, membership_id: uuid.UUID
    ) -> dict[str, Any]:
        """One membership."""
        return membership_out(await parties.get_membership(db, membership_id))

    @delete("/memberships/{membership_id:uuid}", opt={"permission": "core.parties.manage"}, status_code=204)
    async def withdraw(self, db: AsyncSession, ctx: TenantContext, membership_id: uuid.UUID) -> None:
        """Withdraw an application (only applicants; members leave through their status)."""
        await parties.withdraw_application(db, membership_id, actor_id=ctx.user_id)
        await db.commit()

    @post(
        "/memberships/{membership_id:uuid}/status", opt={"permission": "core.parties.manage"}, status_code=200
    )
    async def change_status(
        self, db: AsyncSession, ctx: TenantContext, membership_id: uuid.UUID, data: StatusIn
    ) -> dict[str, Any]:
        """Admit, suspend, reinstate or end a membership."""
        membership = await parties.change_membership_status(
            db, membership_id, data.status, on=data.date or ctx.today(), actor_id=ctx.user_id
        )
        await db.commit()
        return membership_out(membership)

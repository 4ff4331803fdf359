"""A tenant's memberships: applications, admissions and the changes of a membership's status."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from core import memberships
from core.idempotency import idempotent, user_scope
from core.schemas import MembershipIn, StatusIn, membership_out
from core.tenants import TenantContext

__all__ = ["MembershipsController"]


class MembershipsController(Controller):
    path = "/api/v1/tenants/{tenant:str}"
    tags = ["memberships"]

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
        page = await memberships.list_memberships(db, status=status, q=q, limit=limit, cursor=cursor)
        return {"items": [membership_out(m) for m in page.items], "next_cursor": page.next_cursor}

    @post("/memberships", opt={"permission": "core.parties.manage"})
    async def create_membership(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: MembershipIn
    ) -> Response[bytes]:
        """Record a membership; ``status: active`` admits at once with the next member number."""

        async def produce() -> tuple[int, Any]:
            membership = await memberships.create_membership(
                db,
                party_id=data.party_id,
                class_code=data.class_code,
                status=data.status,
                on=data.date or ctx.today(),
                actor_id=ctx.user_id,
            )
            return 201, membership_out(membership)

        return await idempotent(db, request, user_scope(ctx), produce)

    @get("/memberships/{membership_id:uuid}", opt={"permission": "core.parties.view"})
    async def show_membership(
        self, db: AsyncSession, ctx: TenantContext, membership_id: uuid.UUID
    ) -> dict[str, Any]:
        """One membership."""
        return membership_out(await memberships.get_membership(db, membership_id))

    @delete("/memberships/{membership_id:uuid}", opt={"permission": "core.parties.manage"}, status_code=204)
    async def withdraw(self, db: AsyncSession, ctx: TenantContext, membership_id: uuid.UUID) -> None:
        """Withdraw an application (only applicants; members leave through their status)."""
        await memberships.withdraw_application(db, membership_id, actor_id=ctx.user_id)
        await db.commit()

    @post(
        "/memberships/{membership_id:uuid}/status", opt={"permission": "core.parties.manage"}, status_code=200
    )
    async def change_status(
        self, db: AsyncSession, ctx: TenantContext, membership_id: uuid.UUID, data: StatusIn
    ) -> dict[str, Any]:
        """Admit, suspend, reinstate or end a membership."""
        membership = await memberships.change_membership_status(
            db, membership_id, data.status, on=data.date or ctx.today(), actor_id=ctx.user_id
        )
        await db.commit()
        return membership_out(membership)

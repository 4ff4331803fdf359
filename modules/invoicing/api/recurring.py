"""Recurring invoice plans under /api/v1/tenants/{tenant}/recurring: an invoice made every month,
quarter or year."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.idempotency import idempotent
from core.tenants import TenantContext
from modules.invoicing.schemas.recurring import RecurringIn, RecurringPatch, plan_out
from modules.invoicing.services import access, recurring

__all__ = ["RecurringController"]


def _template(data: RecurringIn | RecurringPatch) -> dict[str, Any]:
    return {
        name: msgspec.to_builtins(getattr(data, name))
        for name in recurring.TEMPLATE_FIELDS
        if getattr(data, name) is not None
    }


class RecurringController(Controller):
    path = "/recurring"
    tags = ["invoicing"]

    @get("/", opt={"permission": "invoicing.manage"})
    async def list_plans(
        self, db: AsyncSession, ctx: TenantContext, active: bool | None = None
    ) -> dict[str, Any]:
        """Recurring invoice plans, the next due first."""
        return {"items": [plan_out(p) for p in await recurring.list_plans(db, active=active)]}

    @post("/", opt={"permission": "invoicing.manage"})
    async def create(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, data: RecurringIn
    ) -> Response[bytes]:
        """A plan making an invoice every month, quarter or year from ``start_date``; accepts
        ``Idempotency-Key``."""

        async def produce() -> tuple[int, Any]:
            plan = await recurring.create_plan(
                db,
                customer_id=data.customer_id,
                frequency=data.frequency,
                start_date=data.start_date,
                end_date=data.end_date,
                name=data.name,
                auto_issue=data.auto_issue,
                template=_template(data),
                actor_id=ctx.user_id,
            )
            return 201, plan_out(plan)

        return await idempotent(db, request, access.idempotency_scope(ctx.tenant_id, ctx.user_id), produce)

    @get("/{plan_id:uuid}", opt={"permission": "invoicing.manage"})
    async def show(self, db: AsyncSession, ctx: TenantContext, plan_id: uuid.UUID) -> dict[str, Any]:
        return plan_out(await recurring.get_plan(db, plan_id))

    @patch("/{plan_id:uuid}", opt={"permission": "invoicing.manage"})
    async def update(
        self, db: AsyncSession, ctx: TenantContext, plan_id: uuid.UUID, data: RecurringPatch
    ) -> dict[str, Any]:
        """Change a plan (send what changes; ``lines`` replaces all lines, ``active: false`` pauses it)."""
        changes: dict[str, Any] = {
            name: getattr(data, name)
            for name in ("customer_id", "frequency", "next_date", "name", "auto_issue", "active")
        }
        if data.end_date is not msgspec.UNSET:
            changes["end_date"] = data.end_date
        changes.update(_template(data))
        plan = await recurring.update_plan(db, plan_id, changes, actor_id=ctx.user_id)
        out = plan_out(plan)
        await db.commit()
        return out

    @delete("/{plan_id:uuid}", opt={"permission": "invoicing.manage"}, status_code=204)
    async def remove(self, db: AsyncSession, ctx: TenantContext, plan_id: uuid.UUID) -> None:
        """Delete a plan; the invoices it made stay."""
        await recurring.delete_plan(db, plan_id, actor_id=ctx.user_id)
        await db.commit()

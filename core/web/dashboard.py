"""A co-op's dashboard: the co-op at a glance."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import parties
from core.models import Membership, Party
from core.tenants import TenantContext
from core.web.shell import render

__all__ = ["DASHBOARD_PAGES", "membership_counts"]


async def membership_counts(db: AsyncSession) -> dict[str, int]:
    """How many memberships the co-op has in each status."""
    rows = await db.execute(select(Membership.status, func.count()).group_by(Membership.status))
    counts = dict.fromkeys(parties.MEMBERSHIP_STATUSES, 0)
    counts.update({status: int(count) for status, count in rows.all()})
    return counts


@get("/t/{tenant:str}", opt={"permission": "core.tenant.view"})
async def dashboard(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """The co-op at a glance: members by status."""
    counts = await membership_counts(db) if ctx.can("core.parties.view") else None
    total_parties = await db.scalar(select(func.count()).select_from(Party)) if counts is not None else None
    return await render(
        request, db, "core/dashboard.html", ctx=ctx, counts=counts, total_parties=total_parties
    )


DASHBOARD_PAGES = [dashboard]

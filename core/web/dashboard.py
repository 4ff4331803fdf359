"""A co-op's dashboard: the co-op at a glance, as cards.

The core's own card counts the members; each module the co-op has on adds its cards
(``Module.dashboard``). A user sees the cards whose permission they hold, ordered by ``order``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import memberships
from core.models import Membership, Party
from core.module import DashboardCard
from core.registry import ModuleRegistry
from core.tenants import TenantContext, enabled_modules
from core.web.shell import render

__all__ = ["DASHBOARD_PAGES", "MEMBERS_CARD", "ShownCard", "dashboard_cards", "membership_counts"]


async def membership_counts(db: AsyncSession) -> dict[str, int]:
    """How many memberships the co-op has in each status."""
    rows = await db.execute(select(Membership.status, func.count()).group_by(Membership.status))
    counts = dict.fromkeys(memberships.MEMBERSHIP_STATUSES, 0)
    counts.update({status: int(count) for status, count in rows.all()})
    return counts


async def _members(db: AsyncSession, ctx: TenantContext) -> Mapping[str, Any]:
    total_parties = await db.scalar(select(func.count()).select_from(Party))
    return {"counts": await membership_counts(db), "total_parties": total_parties}


MEMBERS_CARD = DashboardCard(
    "Members", "core/cards/members.html", load=_members, permission="core.parties.view", order=0
)


@dataclass(frozen=True, slots=True)
class ShownCard:
    card: DashboardCard
    data: Mapping[str, Any]


def _visible(cards: Iterable[DashboardCard], ctx: TenantContext) -> list[DashboardCard]:
    seen = [card for card in cards if card.permission is None or ctx.can(card.permission)]
    return sorted(seen, key=lambda card: card.order)  # stable: the core's card first on a tie


async def dashboard_cards(
    db: AsyncSession, ctx: TenantContext, registry: ModuleRegistry, enabled: set[str]
) -> list[ShownCard]:
    """The cards ``ctx``'s user sees: the core's and those of the co-op's enabled modules, loaded."""
    cards = [
        MEMBERS_CARD,
        *(card for module in registry if module.name in enabled for card in module.dashboard),
    ]
    return [ShownCard(card, await card.load(db, ctx)) for card in _visible(cards, ctx)]


@get("/t/{tenant:str}", opt={"permission": "core.tenant.view"})
async def dashboard(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """The co-op at a glance: the cards its user may see."""
    cards = await dashboard_cards(db, ctx, request.app.state.registry, await enabled_modules(db))
    return await render(request, db, "core/dashboard.html", ctx=ctx, cards=cards)


DASHBOARD_PAGES = [dashboard]

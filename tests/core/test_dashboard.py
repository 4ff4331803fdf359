"""The dashboard shows the cards of the co-op's enabled modules that the user may see, in their order,
with the core's members card among them; a card's loader reads in the co-op's session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.db.engine import Database
from core.module import DashboardCard, Module
from core.registry import ModuleRegistry
from core.tenants import TenantContext
from core.web.dashboard import MEMBERS_CARD, dashboard_cards
from tests.conftest import World


async def _stock(session: AsyncSession, ctx: TenantContext) -> Mapping[str, Any]:
    return {"tenant": ctx.slug}


LOW_STOCK = DashboardCard("Low stock", "stock/cards/low.html", load=_stock, permission="stock.view", order=5)
MOVES = DashboardCard("Moves", "stock/cards/moves.html", load=_stock, order=-1)
STOCK = Module(name="stock", title="Stock", version="1", dashboard=(LOW_STOCK, MOVES))


def context(coop_id: Any, slug: str, *permissions: str) -> TenantContext:
    return TenantContext(
        tenant_id=coop_id,
        slug=slug,
        name=slug,
        currency="EUR",
        locale="en",
        user_id=None,
        role="viewer",
        permissions=frozenset(permissions),
    )


async def test_cards_show_where_the_module_is_on_and_the_user_holds_their_permission(
    database: Database, world: World
) -> None:
    coop = await world.coop()
    registry = ModuleRegistry.of([STOCK])
    async with database.session(write=False, tenant_id=coop.id) as session:
        everything = context(coop.id, coop.slug, "core.parties.view", "stock.view")
        shown = await dashboard_cards(session, everything, registry, {"stock"})
        assert [s.card.title for s in shown] == ["Moves", "Members", "Low stock"]
        assert shown[2].data == {"tenant": coop.slug}
        assert shown[1].data["counts"]["active"] == 0

        off = await dashboard_cards(session, everything, registry, set())
        assert [s.card for s in off] == [MEMBERS_CARD]

        no_right = context(coop.id, coop.slug, "core.tenant.view")
        assert [s.card.title for s in await dashboard_cards(session, no_right, registry, {"stock"})] == [
            "Moves"
        ]

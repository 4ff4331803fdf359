"""A co-op's slug can neither name one of the install's routes nor switch off its pages' CSRF check."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.db.engine import Database
from core.errors import InvalidInput
from core.tenants import RESERVED_SLUGS, create_tenant
from tests.conftest import World, unique
from tests.pages import log_in

Client = AsyncTestClient[Litestar]


def test_every_first_path_segment_of_the_install_is_reserved(app: Litestar) -> None:
    segments = {route.path.strip("/").split("/")[0] for route in app.routes} - {""}
    assert segments <= RESERVED_SLUGS, segments - RESERVED_SLUGS


@pytest.mark.parametrize("slug", ["api", "schema", "t", "healthz"])
async def test_a_slug_naming_a_route_is_refused(database: Database, slug: str) -> None:
    async with database.transaction() as session:
        with pytest.raises(InvalidInput, match="reserved"):
            await create_tenant(session, slug=slug, name="Clash Co-op", currency="EUR")


@pytest.mark.parametrize("prefix", ["schema", "healthz", "api"])
async def test_a_form_post_without_its_csrf_token_is_refused_whatever_the_slug(
    client: Client, world: World, prefix: str
) -> None:
    coop = await world.coop(slug=unique(prefix))
    newcomer = await world.person()
    await log_in(client, coop.owner)
    forged = await client.post(
        f"/t/{coop.slug}/users", data={"email": newcomer.email, "role": "admin"}, follow_redirects=False
    )
    assert forged.status_code == 403
    users = await client.get(f"{coop.api}/users", headers=coop.owner.headers)
    assert newcomer.email not in users.text

"""Where the core's pages say what went wrong: beside the form that caused it, as an alert screen readers
announce; what the page's own actions caused stays at its top."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, unique
from tests.pages import alerts, log_in, submit

Client = AsyncTestClient[Litestar]


async def test_a_role_not_granted_is_announced_in_the_grant_form(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)

    unknown = await submit(
        client, f"/t/{coop.slug}/users", {"email": "nobody@example.test", "role": "viewer"}
    )

    assert unknown.status_code == 422
    [(where, said)] = alerts(unknown)
    assert where == "grant" and "no user has that e-mail" in said


async def test_a_role_not_revoked_is_announced_above_the_list_of_people(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)

    last_owner = await submit(client, f"/t/{coop.slug}/users/{coop.owner.id}/revoke")

    assert last_owner.status_code == 409
    [(where, said)] = alerts(last_owner)
    assert where == "" and "last owner" in said


async def test_a_membership_change_refused_is_announced_in_the_membership_section(
    client: Client, world: World
) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    name = unique("Applicant")
    await submit(client, f"/t/{coop.slug}/parties", {"kind": "organisation", "name": name})
    listing = await client.get(f"/t/{coop.slug}/parties", params={"q": name})
    href = re.search(r'href="(/t/[^"]+/parties/[0-9a-f-]{36})"', listing.text)
    assert href is not None
    await submit(client, f"{href.group(1)}/membership", {"status": "active"})
    await submit(client, f"{href.group(1)}/membership", {"status": "suspended"})

    again = await submit(client, f"{href.group(1)}/membership", {"status": "suspended"})

    assert again.status_code == 409
    [(where, said)] = alerts(again)
    assert where == "membership" and "cannot become suspended" in said


async def test_a_token_not_created_is_announced_in_the_new_token_form_which_the_page_returns_to(
    client: Client, world: World
) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    form = await client.get("/account/tokens")
    assert 'action="/account/tokens#new-token"' in form.text

    refused = await submit(client, "/account/tokens", {"name": ""})

    assert refused.status_code == 422
    [(where, said)] = alerts(refused)
    assert where == "new-token" and "Name" in said

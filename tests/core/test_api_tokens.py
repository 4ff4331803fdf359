"""API tokens carry no more than a program needs: one co-op, reading only, a limited life; they record
their last use, and a token cannot mint another."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from core.db.base import utcnow
from core.db.engine import Database
from core.models import ApiToken
from tests.conftest import World
from tests.pages import log_in, submit, text_of

Client = AsyncTestClient[Litestar]


async def new_token(client: Client, **fields: Any) -> dict[str, Any]:
    answer = await client.post("/api/v1/auth/tokens", json={"name": "a program", **fields})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['token']}"}


async def test_a_token_cannot_create_a_token(client: Client, world: World) -> None:
    person = await world.person()
    refused = await client.post("/api/v1/auth/tokens", json={"name": "more"}, headers=person.headers)
    assert refused.status_code == 403
    assert "sign in" in refused.json()["detail"]


async def test_a_token_limited_to_a_co_op_is_refused_in_the_users_other_co_ops(
    client: Client, world: World, database: Database
) -> None:
    first = await world.coop()
    second = await world.coop()
    from core import tenants
    from core.models import User

    async with database.transaction(tenant_id=second.id) as session:
        user = await session.get_one(User, first.owner.id)
        await tenants.grant_role(session, user=user, role="admin")
    await log_in(client, first.owner)
    token = await new_token(client, tenant=first.slug)
    assert token["tenant"] == first.slug
    client.cookies.clear()
    assert (await client.get(f"{first.api}/parties", headers=bearer(token))).status_code == 200
    assert (await client.get(f"{second.api}/parties", headers=first.owner.headers)).status_code == 200
    assert (await client.get(f"{second.api}/parties", headers=bearer(token))).status_code == 404
    me = (await client.get("/api/v1/me", headers=bearer(token))).json()
    assert [t["slug"] for t in me["tenants"]] == [first.slug]
    assert (await client.get(f"/t/{second.slug}", headers=bearer(token))).status_code == 404
    shell = await client.get(f"/t/{first.slug}", headers=bearer(token))
    assert shell.status_code == 200 and f"Co-op {second.slug}" not in shell.text


async def test_a_read_only_token_reads_and_changes_nothing(client: Client, world: World) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    token = await new_token(client, read_only=True)
    client.cookies.clear()
    assert (await client.get(f"{coop.api}/parties", headers=bearer(token))).status_code == 200
    refused = await client.post(
        f"{coop.api}/parties",
        json={"kind": "person", "name": "Not Added"},
        headers=bearer(token),
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("read-only-token")
    listed = await client.get(f"{coop.api}/parties", params={"q": "Not Added"}, headers=bearer(token))
    assert listed.json()["items"] == []


async def test_a_token_stops_working_when_it_expires(
    client: Client, world: World, database: Database
) -> None:
    person = await world.person()
    await log_in(client, person)
    token = await new_token(client, expires_in_days=30)
    assert token["expires_at"] is not None
    client.cookies.clear()
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 200
    async with database.transaction() as session:
        await session.execute(
            update(ApiToken).where(ApiToken.prefix == token["prefix"]).values(expires_at=utcnow())
        )
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_an_expiry_out_of_range_is_refused_naming_the_field(client: Client, world: World) -> None:
    person = await world.person()
    await log_in(client, person)
    for days in (0, 4000):
        answer = await client.post("/api/v1/auth/tokens", json={"name": "x", "expires_in_days": days})
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "expires_in_days"
    other = await client.post("/api/v1/auth/tokens", json={"name": "x", "tenant": "nowhere"})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "tenant"


async def test_a_tokens_last_use_is_recorded(client: Client, world: World, database: Database) -> None:
    person = await world.person()
    await log_in(client, person)
    token = await new_token(client)
    assert token["last_used_at"] is None
    client.cookies.clear()
    await client.get("/api/v1/me", headers=bearer(token))
    await log_in(client, person)
    listed = (await client.get("/api/v1/auth/tokens")).json()["items"]
    used = next(t for t in listed if t["id"] == token["id"])["last_used_at"]
    assert used is not None
    # Within five minutes a use is not written again (no write per request); after, it is.
    async with database.transaction() as session:
        stale = utcnow() - timedelta(minutes=10)
        await session.execute(
            update(ApiToken).where(ApiToken.id == uuid.UUID(token["id"])).values(last_used_at=stale)
        )
    client.cookies.clear()
    await client.get("/api/v1/me", headers=bearer(token))
    await log_in(client, person)
    listed = (await client.get("/api/v1/auth/tokens")).json()["items"]
    again = next(t for t in listed if t["id"] == token["id"])["last_used_at"]
    assert again > stale.isoformat()


async def test_the_tokens_page_creates_a_limited_token_and_shows_its_limits(
    client: Client, world: World
) -> None:
    coop = await world.coop()
    await log_in(client, coop.owner)
    created = await submit(
        client,
        "/account/tokens",
        {"name": "bank feed", "tenant": coop.slug, "read_only": "yes", "expires_in_days": "90"},
    )
    assert created.status_code == 201, created.text
    listing = text_of(await client.get("/account/tokens"))
    assert "bank feed" in listing and f"read in {coop.slug}, until" in listing
    refused = await submit(client, "/account/tokens", {"name": "x", "expires_in_days": "soon"})
    assert refused.status_code == 422 and "whole number of days" in refused.text


async def test_a_token_cannot_reach_the_account_pages_where_tokens_are_made(
    client: Client, world: World
) -> None:
    person = await world.person()
    await log_in(client, person)
    limited = await new_token(client, read_only=False, expires_in_days=1)
    before = (await client.get("/api/v1/auth/tokens")).json()["items"]
    client.cookies.clear()
    page = await client.get("/account/tokens", headers=bearer(limited), follow_redirects=False)
    assert page.status_code != 200
    made = await client.post(
        "/account/tokens", data={"name": "wider"}, headers=bearer(limited), follow_redirects=False
    )
    assert made.status_code != 201 and "coop_" not in made.text
    await log_in(client, person)
    assert len((await client.get("/api/v1/auth/tokens")).json()["items"]) == len(before)


async def test_an_expiry_that_is_not_a_plain_number_is_refused_on_the_tokens_page(
    client: Client, world: World
) -> None:
    person = await world.person()
    await log_in(client, person)
    for days in ("\u00b2", "9" * 5000):
        refused = await submit(client, "/account/tokens", {"name": "x", "expires_in_days": days})
        assert refused.status_code == 422, refused.status_code

"""``Idempotency-Key`` on the POSTs that create parties and memberships: a retry replays the first
answer, a reused key with another body is refused, keys belong to one user, and concurrent retries
create exactly one object (on every backend)."""

from __future__ import annotations

import asyncio

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core import tenants
from core.db.engine import Database
from core.models import User
from tests.conftest import Coop, Person, World


def keyed(person: Person, key: str) -> dict[str, str]:
    return {**person.headers, "Idempotency-Key": key}


async def party_names(client: AsyncTestClient[Litestar], coop: Coop) -> list[str]:
    listing = await client.get(f"{coop.api}/parties", headers=coop.owner.headers)
    assert listing.status_code == 200
    return [party["name"] for party in listing.json()["items"]]


async def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    body = {"kind": "organisation", "name": "Bakery Coop"}
    first = await client.post(f"{coop.api}/parties", json=body, headers=keyed(coop.owner, "k-1"))
    again = await client.post(f"{coop.api}/parties", json=body, headers=keyed(coop.owner, "k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotency-replayed") == "true"
    assert "idempotency-replayed" not in first.headers
    assert await party_names(client, coop) == ["Bakery Coop"]


async def test_the_same_key_with_another_body_is_a_conflict(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    url = f"{coop.api}/parties"
    first = await client.post(url, json={"kind": "person", "name": "Ada"}, headers=keyed(coop.owner, "k-2"))
    assert first.status_code == 201
    other = await client.post(url, json={"kind": "person", "name": "Grace"}, headers=keyed(coop.owner, "k-2"))
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key" in other.json()["detail"]
    assert await party_names(client, coop) == ["Ada"]


async def test_without_a_key_every_post_creates(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    body = {"kind": "person", "name": "Twice"}
    for _ in range(2):
        answer = await client.post(f"{coop.api}/parties", json=body, headers=coop.owner.headers)
        assert answer.status_code == 201
    assert await party_names(client, coop) == ["Twice", "Twice"]


async def test_keys_belong_to_one_user(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    admin = await world.join(coop, "admin")
    body = {"kind": "organisation", "name": "Shared Name"}
    mine = await client.post(f"{coop.api}/parties", json=body, headers=keyed(coop.owner, "same-key"))
    theirs = await client.post(f"{coop.api}/parties", json=body, headers=keyed(admin, "same-key"))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotency-replayed" not in theirs.headers
    assert await party_names(client, coop) == ["Shared Name", "Shared Name"]


async def test_keys_belong_to_one_tenant(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    other = await world.coop()
    # The owner of the first co-op is made admin of the second: same user, same key, two tenants.
    async with world.database.transaction(tenant_id=other.id) as session:
        await tenants.grant_role(session, user=await session.get_one(User, coop.owner.id), role="admin")
    body = {"kind": "person", "name": "Twin"}
    here = await client.post(f"{coop.api}/parties", json=body, headers=keyed(coop.owner, "tenant-key"))
    there = await client.post(f"{other.api}/parties", json=body, headers=keyed(coop.owner, "tenant-key"))
    assert here.status_code == there.status_code == 201
    assert here.json()["id"] != there.json()["id"]
    assert await party_names(client, coop) == ["Twin"]
    assert await party_names(client, other) == ["Twin"]


async def test_a_bad_key_is_refused(client: AsyncTestClient[Litestar], world: World) -> None:
    coop = await world.coop()
    body = {"kind": "person", "name": "Nobody"}
    for key in ("x" * 256, "tab\there"):
        answer = await client.post(f"{coop.api}/parties", json=body, headers=keyed(coop.owner, key))
        assert answer.status_code == 422, key
    assert await party_names(client, coop) == []


async def test_a_membership_retry_allocates_one_member_number(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    coop = await world.coop()
    party = (
        await client.post(
            f"{coop.api}/parties", json={"kind": "person", "name": "Member"}, headers=coop.owner.headers
        )
    ).json()
    body = {"party_id": party["id"], "status": "active"}
    answers = [
        await client.post(f"{coop.api}/memberships", json=body, headers=keyed(coop.owner, "join-1"))
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert {a.json()["number"] for a in answers} == {"M00001"}
    listing = await client.get(f"{coop.api}/memberships", headers=coop.owner.headers)
    assert [m["number"] for m in listing.json()["items"]] == ["M00001"]
    # The next admission gets the next number: the replays took none.
    other = (
        await client.post(
            f"{coop.api}/parties", json={"kind": "person", "name": "Next"}, headers=coop.owner.headers
        )
    ).json()
    joined = await client.post(
        f"{coop.api}/memberships",
        json={"party_id": other["id"], "status": "active"},
        headers=coop.owner.headers,
    )
    assert joined.json()["number"] == "M00002"


async def test_concurrent_retries_create_exactly_one_party(app: Litestar, world: World) -> None:
    """Eight requests with one key at once. Litestar's test client runs each request to completion in
    a thread of its own, so the requests here go through httpx's ASGI transport, which runs the app
    on this event loop and lets the eight overlap for real."""
    coop = await world.coop()
    body = {"kind": "organisation", "name": "Raced Coop"}
    headers = keyed(coop.owner, "raced-key")
    database: Database = app.state.db
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as http:
            answers = await asyncio.gather(
                *(http.post(f"{coop.api}/parties", json=body, headers=headers) for _ in range(8))
            )
            listing = await http.get(f"{coop.api}/parties", headers=coop.owner.headers)
    finally:
        await database.dispose()  # its connections belong to this loop, not to the test client's
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotency-replayed") == "true" for a in answers) == 7
    assert [p["name"] for p in listing.json()["items"]] == ["Raced Coop"]

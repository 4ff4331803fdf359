"""A co-op always keeps an owner, and only owners decide who owns it."""

from __future__ import annotations

import asyncio

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from core.db.engine import Database
from core.models import TenantUser
from tests.conftest import Coop, Person, World, same_loop_client

Client = AsyncTestClient[Litestar]


async def owners_of(database: Database, coop: Coop) -> set[str]:
    async with database.session(write=False, tenant_id=coop.id) as session:
        found = await session.scalars(select(TenantUser.user_id).where(TenantUser.role == "owner"))
        return {str(user_id) for user_id in found}


async def set_role(client: httpx.AsyncClient, coop: Coop, actor: Person, target: Person, role: str) -> int:
    answer = await client.post(
        f"{coop.api}/users", json={"email": target.email, "role": role}, headers=actor.headers
    )
    return answer.status_code


async def test_an_admin_can_neither_demote_nor_remove_an_owner(
    client: Client, world: World, database: Database
) -> None:
    coop = await world.coop()
    second = await world.join(coop, "owner")
    admin = await world.join(coop, "admin")
    assert await set_role(client, coop, admin, coop.owner, "viewer") == 403
    removed = await client.delete(f"{coop.api}/users/{second.id}", headers=admin.headers)
    assert removed.status_code == 403
    assert await owners_of(database, coop) == {str(coop.owner.id), str(second.id)}
    # An admin still manages everyone else.
    assert await set_role(client, coop, admin, admin, "bookkeeper") == 200


async def test_the_last_owner_can_neither_demote_nor_remove_itself(
    client: Client, world: World, database: Database
) -> None:
    coop = await world.coop()
    demoted = await client.post(
        f"{coop.api}/users", json={"email": coop.owner.email, "role": "admin"}, headers=coop.owner.headers
    )
    assert demoted.status_code == 409 and "last owner" in demoted.json()["detail"]
    removed = await client.delete(f"{coop.api}/users/{coop.owner.id}", headers=coop.owner.headers)
    assert removed.status_code == 409
    assert await owners_of(database, coop) == {str(coop.owner.id)}


async def test_an_owner_hands_over_to_another_owner(client: Client, world: World, database: Database) -> None:
    coop = await world.coop()
    successor = await world.join(coop, "admin")
    assert await set_role(client, coop, coop.owner, successor, "owner") == 200
    assert await set_role(client, coop, coop.owner, coop.owner, "admin") == 200
    assert await owners_of(database, coop) == {str(successor.id)}


async def test_owners_stepping_down_at_once_leave_one_owner(
    app: Litestar, world: World, database: Database
) -> None:
    for _ in range(5):
        coop = await world.coop()
        owners = [coop.owner, *[await world.join(coop, "owner") for _ in range(3)]]
        async with same_loop_client(app) as client:
            answers = await asyncio.gather(*(set_role(client, coop, o, o, "viewer") for o in owners))
        assert sorted(answers) == [200, 200, 200, 409], answers
        assert len(await owners_of(database, coop)) == 1

"""What has expired is forgotten: idempotency keys after their 24 hours, browser sessions after expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import insert, select

from core.db.base import utcnow
from core.db.engine import Database
from core.housekeeping import prune_expired
from core.models import IdempotencyRecord, UserSession
from core.registry import ModuleRegistry
from core.scheduler import scheduler_loop
from core.settings import Settings
from tests.conftest import World, replace, unique


async def plant(database: Database, world: World, scope: str) -> None:
    """Two keys and two sessions of ``scope``: one of each past its time, one still current."""
    person = await world.person()
    now = utcnow()
    async with database.transaction() as session:
        for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=23))):
            await session.execute(
                insert(IdempotencyRecord).values(
                    scope=scope, key=key, request_hash="x", status_code=201, body=b"{}", created_at=now - age
                )
            )
        for token, expiry in (("old", now - timedelta(minutes=1)), ("fresh", now + timedelta(days=1))):
            await session.execute(
                insert(UserSession).values(
                    token_hash=f"{scope}-{token}", user_id=person.id, expires_at=expiry, created_at=now
                )
            )


async def left(database: Database, scope: str) -> tuple[list[str], list[str]]:
    async with database.session(write=False) as session:
        keys = await session.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.scope == scope))
        tokens = await session.scalars(
            select(UserSession.token_hash).where(UserSession.token_hash.startswith(scope))
        )
        return sorted(keys), sorted(tokens)


async def test_pruning_forgets_only_what_has_expired(database: Database, world: World) -> None:
    scope = unique("scope")
    await plant(database, world, scope)
    pruned = await prune_expired(database)
    assert pruned.idempotency_keys >= 1 and pruned.sessions >= 1
    assert await left(database, scope) == (["fresh"], [f"{scope}-fresh"])


async def test_the_servers_scheduler_prunes_on_its_first_tick(
    database: Database, world: World, settings: Settings
) -> None:
    scope = unique("scope")
    await plant(database, world, scope)
    loop = asyncio.create_task(
        scheduler_loop(database, ModuleRegistry.of([]), replace(settings, scheduler_interval=3600))
    )
    try:
        for _ in range(100):
            if (await left(database, scope))[0] == ["fresh"]:
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    assert await left(database, scope) == (["fresh"], [f"{scope}-fresh"])

"""Modules' daily jobs run once a day per tenant, however many server processes tick."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

from core import tenants
from core.db.engine import Database
from core.module import DailyJob, Module
from core.registry import ModuleRegistry
from core.scheduler import run_due_jobs
from core.settings import Settings
from tests.conftest import World

CALLS: list[tuple[uuid.UUID, date]] = []
FAILURES: list[int] = []


async def count(database: Database, settings: Settings, tenant_id: uuid.UUID, today: date) -> None:
    await asyncio.sleep(0.01)  # long enough for a concurrent tick to try the same claim
    CALLS.append((tenant_id, today))


async def fail_once(database: Database, settings: Settings, tenant_id: uuid.UUID, today: date) -> None:
    if not FAILURES:
        FAILURES.append(1)
        raise RuntimeError("the mail server is down")
    CALLS.append((tenant_id, today))


DAILY = ModuleRegistry.of(
    [Module(name="tally", title="Tally", version="1", daily_jobs=(DailyJob("count", count),))]
)
FLAKY = ModuleRegistry.of(
    [Module(name="flaky", title="Flaky", version="1", daily_jobs=(DailyJob("fail_once", fail_once),))]
)


async def switch_on(world: World, registry: ModuleRegistry, name: str) -> uuid.UUID:
    coop = await world.coop()
    async with world.database.transaction(tenant_id=coop.id) as session:
        await tenants.enable_module(session, registry, name, actor_id=None)
    return coop.id


async def test_a_daily_job_runs_once_a_day_per_tenant_even_with_concurrent_ticks(
    world: World, database: Database
) -> None:
    on = await switch_on(world, DAILY, "tally")
    off = (await world.coop()).id
    CALLS.clear()
    monday = datetime(2031, 3, 3, 9, tzinfo=UTC)
    for tenant in (on, off):
        await asyncio.gather(
            *(run_due_jobs(database, DAILY, Settings(), now=monday, only=tenant) for _ in range(4))
        )
    await run_due_jobs(database, DAILY, Settings(), now=monday, only=on)
    assert [(on, date(2031, 3, 3))] == CALLS
    await run_due_jobs(database, DAILY, Settings(), now=datetime(2031, 3, 4, 9, tzinfo=UTC), only=on)
    assert [(on, date(2031, 3, 3)), (on, date(2031, 3, 4))] == CALLS


async def test_a_failed_job_is_tried_again_on_the_next_tick(world: World, database: Database) -> None:
    tenant = await switch_on(world, FLAKY, "flaky")
    CALLS.clear()
    FAILURES.clear()
    now = datetime(2031, 5, 1, 9, tzinfo=UTC)
    first = await run_due_jobs(database, FLAKY, Settings(), now=now, only=tenant)
    assert first.failed and not first.ran
    second = await run_due_jobs(database, FLAKY, Settings(), now=now, only=tenant)
    assert second.ran and [(tenant, date(2031, 5, 1))] == CALLS

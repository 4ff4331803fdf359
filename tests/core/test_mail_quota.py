"""Per-co-op mail quotas, counted in the database by every process at once."""

from __future__ import annotations

import anyio
import pytest

from core.db.engine import Database
from core.mail_quota import QuotaExceeded, take_quota
from core.settings import Settings
from tests.conftest import World


async def test_concurrent_sends_never_pass_the_quota_together(world: World, database: Database) -> None:
    coop = await world.coop()
    quota = Settings(mail_per_hour=5, mail_per_day=100)
    outcomes: list[bool] = []

    async def one_send() -> None:
        try:
            await take_quota(database, quota, coop.id, 1)
        except QuotaExceeded:
            outcomes.append(False)
        else:
            outcomes.append(True)

    async with anyio.create_task_group() as group:
        for _ in range(12):
            group.start_soon(one_send)
    assert sorted(outcomes) == [False] * 7 + [True] * 5
    with pytest.raises(QuotaExceeded) as refused:
        await take_quota(database, quota, coop.id, 1)
    assert 1 <= refused.value.retry_after <= 3600
    other = await world.coop()
    await take_quota(database, quota, other.id, 5)  # one co-op's sends are not another's

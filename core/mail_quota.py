"""Per-tenant sending quotas: how many recipients one tenant may mail per clock hour and per UTC day.

Anyone who may send a document can name its recipients and add a message, and the mail leaves from
the install's server, whose reputation every tenant shares. The quota bounds what one tenant (or one
stolen account) can send before an operator notices. Counts live in the database (``mail_quota``),
so every process shares them; a send takes its recipients from both counts in one transaction, which
the counters' rows serialise, and a send that would pass either limit takes nothing and is refused
with 429 and the seconds until the window that is full ends. An attempt counts once taken, delivered
or not: a failing server must not make the quota endless.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from core.db.engine import Database
from core.errors import TooManyRequests
from core.models import MailQuota
from core.settings import Settings

__all__ = ["QuotaExceeded", "take_quota"]

_PERIODS = (("hour", 3600), ("day", 86400))


class QuotaExceeded(TooManyRequests):
    type = "mail-quota"
    title = "Mail quota used up"


async def take_quota(database: Database, settings: Settings, tenant_id: uuid.UUID, recipients: int) -> None:
    """Count ``recipients`` against the tenant's hourly and daily quotas, or refuse the send
    (``QuotaExceeded``, 429 with Retry-After) and count nothing."""
    now = time.time()
    limits = {"hour": settings.mail_per_hour, "day": settings.mail_per_day}
    async with database.transaction(tenant_id=tenant_id) as session:
        for period, seconds in _PERIODS:
            window = int(now // seconds)
            counted = await session.scalar(
                update(MailQuota)
                .where(MailQuota.period == period, MailQuota.window == window)
                .values(count=MailQuota.count + recipients)
                .returning(MailQuota.count)
            )
            if counted is None:
                try:
                    async with session.begin_nested():
                        session.add(MailQuota(period=period, window=window, count=recipients))
                        await session.flush()
                    counted = recipients
                except IntegrityError:  # another process wrote the row first: add to it
                    counted = await session.scalar(
                        update(MailQuota)
                        .where(MailQuota.period == period, MailQuota.window == window)
                        .values(count=MailQuota.count + recipients)
                        .returning(MailQuota.count)
                    )
            if int(counted or 0) > limits[period]:
                retry = max(1, int(seconds - now % seconds))
                raise QuotaExceeded(
                    f"this co-op may send mail to {limits[period]} recipients per {period}; try again later",
                    retry_after=retry,
                )
        # Old windows are never read again.
        await session.execute(
            delete(MailQuota).where(MailQuota.period == "hour", MailQuota.window < int(now // 3600) - 1)
        )
        await session.execute(
            delete(MailQuota).where(MailQuota.period == "day", MailQuota.window < int(now // 86400) - 1)
        )

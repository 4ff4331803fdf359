"""Forgetting what the install no longer needs: idempotency keys past their 24 hours, browser
sessions past their expiry, and the login throttle's stale back-offs and networks. Run by every
server's scheduler loop once an hour (deleting twice is harmless, so no claim is needed) and by
``coop db prune``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from core import idempotency, login_throttle
from core.db.base import utcnow
from core.db.engine import Database
from core.models import UserSession

__all__ = ["EVERY", "Pruned", "prune_expired"]

EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Pruned:
    idempotency_keys: int
    sessions: int
    login_records: int = 0


async def prune_expired(database: Database, *, now: datetime | None = None) -> Pruned:
    """Delete idempotency records older than their retention and sessions that have expired."""
    moment = now or utcnow()
    async with database.transaction() as session:
        keys = await idempotency.prune(session, now=moment)
        sessions = await session.execute(delete(UserSession).where(UserSession.expires_at <= moment))
        logins = await login_throttle.forget_stale(session, now=moment)
    return Pruned(
        idempotency_keys=keys,
        sessions=int(sessions.rowcount),  # type: ignore[attr-defined]
        login_records=logins,
    )

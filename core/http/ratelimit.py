"""Rate limits per client network, counted in fixed one-minute windows shared by every process
through the database."""

from __future__ import annotations

import ipaddress
import random
import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.engine import Database
from core.http.problems import send_problem
from core.http.sessions import database_of
from core.models import RateCounter

__all__ = ["RateLimitMiddleware", "add_hits", "client_network", "hit"]


def client_network(host: str | None) -> str:
    """What a client is counted by: its IPv4 address, or the /64 of its IPv6 address. An IPv6
    subscriber is given a whole /64 (RFC 6177) and may send from any of its 2**64 addresses, so
    counting each address would hand it a fresh allowance per request."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host.partition("%")[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimitMiddleware:
    """Fixed one-minute windows per client address, shared by every process through the database.

    Each process counts locally and adds its counts to the shared ``rate_counter`` rows at most once
    a second, learning the install-wide totals in the same statement. A request is refused when the
    last known total plus this process's unsynced count passes the limit, so the shared limit holds
    within about a second's worth of traffic, at the cost of one write a second instead of one per
    request. ``/healthz`` and static files are not counted.
    """

    SYNC_SECONDS = 1.0

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.window = 0
        self.unsynced: dict[str, int] = {}
        self.known: dict[str, int] = {}
        self.last_sync = 0.0
        self.syncing = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if scope["type"] != ScopeType.HTTP or path == "/healthz" or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        limit: int = scope["app"].state.settings.rate_limit_per_minute
        client = scope.get("client") or ("unknown", 0)
        key = f"ip:{client_network(client[0])}"
        now = time.time()
        window = int(now // 60)
        if window != self.window:
            await self._sync(database_of(scope))
            self.window, self.unsynced, self.known = window, {}, {}
        self.unsynced[key] = self.unsynced.get(key, 0) + 1
        if now - self.last_sync >= self.SYNC_SECONDS and not self.syncing:
            await self._sync(database_of(scope))
        if self.known.get(key, 0) + self.unsynced.get(key, 0) > limit:
            retry = 60 - int(now % 60)
            await send_problem(
                send,
                429,
                "rate-limited",
                f"more than {limit} requests a minute; slow down",
                {"retry-after": str(retry)},
            )
            return
        await self.app(scope, receive, send)

    async def _sync(self, database: Database) -> None:
        """Add this process's counts to the shared rows and learn the totals."""
        self.syncing = True
        try:
            pending, self.unsynced = self.unsynced, {}
            window = self.window
            for key, amount in pending.items():
                self.known[key] = await hit(database, key, window, amount=amount)
            self.last_sync = time.time()
        finally:
            self.syncing = False


# Built once: the sync runs every second in every process.
_ADD_HITS = (
    update(RateCounter)
    .where(RateCounter.key == bindparam("counter_key"), RateCounter.window == bindparam("counter_window"))
    .values(count=RateCounter.count + bindparam("amount"))
    .returning(RateCounter.count)
)
_FIRST_HITS = insert(RateCounter).values(
    key=bindparam("counter_key"), window=bindparam("counter_window"), count=bindparam("amount")
)
_OLD_HITS = delete(RateCounter).where(RateCounter.window < bindparam("before"))


async def hit(database: Database, key: str, window: int, *, amount: int = 1) -> int:
    """Add ``amount`` to the counter of ``key`` in ``window`` and return the new count."""
    async with database.transaction() as session:
        return await add_hits(session, key, window, amount=amount)


async def add_hits(session: AsyncSession, key: str, window: int, *, amount: int = 1) -> int:
    """Add ``amount`` to the counter of ``key`` in ``window``, in ``session``'s transaction, and return
    the new count. The row stays locked until that transaction ends, so concurrent callers each see
    a count of their own. ``window`` counts minutes (as here) for the housekeeping to apply."""
    values = {"counter_key": key, "counter_window": window, "amount": amount}
    count = await session.scalar(_ADD_HITS, values)
    if count is None:
        try:
            async with session.begin_nested():
                await session.execute(_FIRST_HITS, values)
            count = amount
        except IntegrityError:
            count = await session.scalar(_ADD_HITS, values)
    if random.random() < 0.001:  # noqa: S311 - housekeeping, not security
        await session.execute(_OLD_HITS, {"before": window - 60})
    return int(count or 0)

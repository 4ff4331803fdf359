"""Engines and session factories for SQLite (embedded) and PostgreSQL (production).

SQLite has one writer at a time, and a deferred transaction that reads and then writes fails at once
with "database is locked" when another writer got there first. So SQLite gets two engines: a reader
whose transactions begin deferred, and a writer whose transactions ``BEGIN IMMEDIATE`` and therefore
queue on the busy timeout instead of failing. The writer has one connection: a process's writers
wait for it in the pool and the next one is woken the moment the previous one commits (mostly in
arrival order; the pool promises no order). With a connection each, they waited in SQLite's busy
handler, which polls with sleeps of up to 100 ms: at 16 concurrent writers some requests waited
seconds. Other processes (a CLI job beside the server) still meet the busy timeout, so a request may
wait for the pool and then for another process's lock. PostgreSQL uses one engine for both.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from core.db import row_security  # noqa: F401 - its listeners name the tenant to PostgreSQL
from core.db.tenancy import TenantSession

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = ["Database"]


def _sqlite_engine(url: str, *, immediate: bool, wait: float) -> AsyncEngine:
    size = {"pool_size": 1, "max_overflow": 0} if immediate else {"pool_size": 8, "max_overflow": 8}
    engine = create_async_engine(url, pool_timeout=wait, connect_args={"timeout": wait}, **size)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" event below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _server_engine(url: str, *, pool_size: int, wait: float, idle_ping: float) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_timeout=wait)

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        """A connection the server has closed (a restart, an administrator ending sessions) is
        replaced before use. The event loop sees the server's goodbye on an idle connection, so a
        connection in steady use needs no round trip: ``pool_pre_ping`` costs three on asyncpg
        (``BEGIN``, ``;``, ``ROLLBACK``) on every checkout, that is on every request. One that sat
        idle for ``idle_ping`` seconds is pinged, in case the network dropped it without a word."""
        driver = record.driver_connection
        if driver is None or driver.is_closed():
            raise DisconnectionError("the database server closed this connection")
        if time.monotonic() - record.info.get("returned_at", time.monotonic()) >= idle_ping:
            try:
                dbapi_connection.ping()
            except Exception as exc:
                raise DisconnectionError("the database server no longer answers on this connection") from exc

    return engine


class Database:
    """The install's database: engines, session factories and the dialect's name."""

    def __init__(
        self, url: str, *, pool_size: int = 10, wait_seconds: float = 30, idle_ping: float = 10
    ) -> None:
        """``wait_seconds``: how long to wait for a pooled connection, or for SQLite's write lock held
        by another process, before giving up (``sqlalchemy.exc.TimeoutError``, ``OperationalError``:
        a 503 for a request). ``idle_ping``: a server connection idle this many seconds is checked
        with a round trip before use."""
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.read_engine = _sqlite_engine(url, immediate=False, wait=wait_seconds)
            self.write_engine = _sqlite_engine(url, immediate=True, wait=wait_seconds)
        else:
            self.read_engine = _server_engine(
                url, pool_size=pool_size, wait=wait_seconds, idle_ping=idle_ping
            )
            self.write_engine = self.read_engine
        self._readers = async_sessionmaker(
            self.read_engine, class_=AsyncSession, sync_session_class=TenantSession, expire_on_commit=False
        )
        self._writers = async_sessionmaker(
            self.write_engine, class_=AsyncSession, sync_session_class=TenantSession, expire_on_commit=False
        )

    @classmethod
    def of(cls, settings: Settings) -> Database:
        """The database ``settings`` name, waiting as long as they say."""
        return cls(settings.database_url, wait_seconds=settings.database_wait_seconds)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def session(self, *, write: bool = True, tenant_id: uuid.UUID | None = None) -> AsyncSession:
        """A new session; pass the tenant to scope it, ``write=False`` for read-only work."""
        session = (self._writers if write else self._readers)()
        if tenant_id is not None:
            session.info["tenant_id"] = tenant_id
        return session

    @asynccontextmanager
    async def transaction(self, *, tenant_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls back when it raises."""
        async with self.session(tenant_id=tenant_id) as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()

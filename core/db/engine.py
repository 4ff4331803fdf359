"""Engines and session factories for SQLite (embedded) and PostgreSQL (production).

SQLite has one writer at a time, and a deferred transaction that reads and then writes fails at once
with "database is locked" when another writer got there first. So SQLite gets two engines: a reader
whose transactions begin deferred, and a writer whose transactions ``BEGIN IMMEDIATE`` and therefore
queue on the busy timeout instead of failing. PostgreSQL uses one engine for both.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from core.db.tenancy import TenantSession

__all__ = ["Database"]


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=8, max_overflow=8, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" event below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The install's database: engines, session factories and the dialect's name."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            self.read_engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.write_engine = self.read_engine
        self._readers = async_sessionmaker(
            self.read_engine, class_=AsyncSession, sync_session_class=TenantSession, expire_on_commit=False
        )
        self._writers = async_sessionmaker(
            self.write_engine, class_=AsyncSession, sync_session_class=TenantSession, expire_on_commit=False
        )

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

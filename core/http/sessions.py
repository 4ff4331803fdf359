"""The request's database session: a writer for unsafe methods, a reader otherwise, opened once per
request and closed as the answer starts, so a transaction never spans the network."""

from __future__ import annotations

from typing import Any

from litestar.types import Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.engine import Database

__all__ = ["REQUEST_SESSION_KEY", "UNSAFE_METHODS", "closing_session", "database_of"]

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Where the authentication middleware leaves the session it opened, for ``provide_db``.
REQUEST_SESSION_KEY = "coopstack.session"


def database_of(scope: Scope) -> Database:
    """The install's database, as the application factory put it in the app's state."""
    database: Database = scope["app"].state.db
    return database


def closing_session(send: Send, session: AsyncSession) -> Send:
    """``send`` that closes ``session`` (rolling back what was not committed) as the answer starts."""

    async def wrapped(message: Any) -> None:
        if message["type"] == "http.response.start":
            await session.close()
        await send(message)

    return wrapped

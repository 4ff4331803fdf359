"""Who sends a request: a Bearer token, else the session cookie, looked up in the session the request's
handler will use; and the guard that denies every route to nobody unless it is marked public."""

from __future__ import annotations

import logging
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.http.access import authenticate
from core.http.body import BodyTooLarge, has_body, read_body, replay_body
from core.http.problems import send_problem
from core.http.sessions import REQUEST_SESSION_KEY, UNSAFE_METHODS, closing_session, database_of
from core.identity import (
    CurrentUser,
    note_token_use,
    session_credential,
    token_credential,
    token_use_due,
)

__all__ = ["SESSION_COOKIE", "AuthMiddleware", "requires_user"]

SESSION_COOKIE = "coop_session"
log = logging.getLogger("coopstack.auth")


class AuthMiddleware:
    """Puts the request's user (or None) in ``scope["user"]``: a Bearer token, else the session cookie.

    A cookie-authenticated API write must be JSON: browsers cannot send that cross-site without a
    CORS preflight, which this install never grants (CSRF defence for the API; pages use tokens).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        authorization = headers.get("authorization", "")
        cookie_token = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        if not (authorization or cookie_token) or scope["path"].startswith("/static/"):
            scope["user"] = None  # static files are public: a browser's cookie costs them no query
            scope["auth"] = None
            await self.app(scope, receive, send)
            return
        # The user is looked up in the session the request's handler will use (see provide_db): one
        # connection and one transaction per request instead of two. The transaction never spans the
        # network: the body is read first (a slow upload must not hold a connection, nor SQLite's
        # write lock) and the session is closed as the response starts (see closing_session).
        if has_body(headers):
            limit: int = scope["app"].state.settings.max_body_bytes
            try:
                body = await read_body(receive, headers, limit)
            except BodyTooLarge:
                await send_problem(send, 413, "body-too-large", f"the body is larger than {limit} bytes")
                return
            if body is None:
                return  # the client went away
            receive = replay_body(body, receive)
        write = scope.get("method") in UNSAFE_METHODS
        # A token works on the API and a co-op's pages, where its limits apply (its co-op, reading);
        # it is not looked at on the account pages, where tokens are made and revoked.
        credential = (
            token_credential(authorization[7:].strip(), now=utcnow())
            if authorization.lower().startswith("bearer ") and scope["path"].startswith(("/api/", "/t/"))
            else session_credential(cookie_token, now=utcnow())
            if cookie_token
            else None
        )
        session = database_of(scope).session(write=write)
        try:
            try:
                user = await authenticate(session, credential, scope)
            except DBAPIError as exc:
                # The lookup is the request's first statement: a pooled connection the database
                # server dropped fails here, before anything is done. The pool has replaced it.
                if not exc.connection_invalidated:
                    raise
                await session.close()
                session = database_of(scope).session(write=write)
                user = await authenticate(session, credential, scope)
            await self._pass(scope, receive, closing_session(send, session), headers, user, session)
        finally:
            await session.close()

    async def _pass(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        user: CurrentUser | None,
        session: AsyncSession,
    ) -> None:
        if (
            user is not None
            and not user.via_token
            and scope.get("method") in UNSAFE_METHODS
            and scope["path"].startswith("/api/")
            and not headers.get("content-type", "").startswith("application/json")
        ):
            await send_problem(
                send, 415, "unsupported-media-type", "API writes with a session cookie must be JSON"
            )
            return
        if user is not None and user.read_only and scope.get("method") in UNSAFE_METHODS:
            await send_problem(send, 403, "read-only-token", "this API token may read, not change anything")
            return
        now = utcnow()
        note_use = user is not None and token_use_due(user, now=now)
        if note_use and user is not None and scope.get("method") in UNSAFE_METHODS:
            await note_token_use(session, user, now=now)  # commits with the change it makes
            note_use = False
        scope["user"] = user
        scope["auth"] = "token" if user and user.via_token else ("session" if user else None)
        scope[REQUEST_SESSION_KEY] = session  # type: ignore[literal-required]
        await self.app(scope, receive, send)
        if note_use and user is not None:
            # A read writes nothing on its own account: the use is noted once the answer has gone, in a
            # transaction of its own, and a busy database (SQLite's write lock held elsewhere) only
            # postpones it to a later request.
            try:
                async with database_of(scope).transaction() as noting:
                    await note_token_use(noting, user, now=now)
            except (DBAPIError, TimeoutError):
                log.info("the use of API token %s was not noted this time", user.token_id)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


async def requires_user(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Deny by default: every route needs a logged-in user unless it is marked ``opt={"public": True}``.

    Async on purpose: Litestar runs a synchronous guard in a worker thread, a thread hop per request."""
    if handler.opt.get("public") or connection.scope["path"].startswith("/schema"):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("log in or send an API token")

"""Login, logout, the current user, and API tokens."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from core import identity, login_throttle
from core.db.engine import Database
from core.errors import BadCredentials, InvalidInput, PermissionDenied, UnsupportedMediaType
from core.http.auth import SESSION_COOKIE
from core.http.ratelimit import client_network
from core.models import User
from core.schemas import LoginIn, TokenIn, token_out
from core.settings import Settings
from core.tenants import tenants_of_user

__all__ = ["AuthController", "login_user"]


def session_cookie(settings: Settings, value: str, *, max_age: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
        path="/",
    )


async def login_user(
    request: Request[Any, Any, Any], db: AsyncSession, email: str, password: str
) -> tuple[User, str] | None:
    """Check a login, throttled by ``core.login_throttle``; returns the user and a new session token,
    or None for a wrong e-mail or password.

    The attempt is counted before the password is checked, and the password is hashed in a worker
    thread with no transaction open; ``db`` writes only once the password is known to be right."""
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.db
    if db.in_transaction():
        # A signed-in browser's session lookup (the authentication middleware's): end it, since the
        # attempt is counted in a transaction of its own, and on SQLite a writer's transaction holds
        # the database's one write lock, which must not wait for the hash.
        await db.commit()
    network = client_network(request.client.host if request.client else None)
    attempt = await login_throttle.admit(
        database, email, network, allowance=settings.login_attempts_per_window
    )
    hasher = request.app.state.hasher
    user = await identity.verify_login(database, hasher, email, password)
    if user is None:
        return None
    await identity.rehash_if_needed(db, hasher, user, password)
    await login_throttle.note_success(db, attempt, user.id)
    token = await identity.create_session(db, user, days=settings.session_days)
    await db.commit()
    return user, token


async def json_body_only(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """A login must be sent as JSON: a cross-site form can send only form encodings and ``text/plain``
    (whose body may well be JSON), and would otherwise sign a visitor in to an account the form's
    author chose. A cross-site request with a JSON content type needs a CORS preflight, never granted.

    Async on purpose: Litestar runs a synchronous guard in a worker thread."""
    media_type = connection.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType("send the login as application/json")


class AuthController(Controller):
    path = "/api/v1"
    tags = ["auth"]

    @post("/auth/login", opt={"public": True}, status_code=200, guards=[json_body_only])
    async def login(self, request: Request[Any, Any, Any], db: AsyncSession, data: LoginIn) -> Response[Any]:
        """Start a browser session (cookie) for an e-mail and password."""
        result = await login_user(request, db, data.email, data.password)
        if result is None:
            raise BadCredentials("e-mail or password is wrong")
        user, token = result
        settings: Settings = request.app.state.settings
        return Response(
            content={"id": str(user.id), "email": user.email, "name": user.name},
            cookies=[session_cookie(settings, token, max_age=settings.session_days * 86400)],
        )

    @post("/auth/logout", status_code=204)
    async def logout(self, request: Request[Any, Any, Any], db: AsyncSession) -> Response[None]:
        """End this browser session."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await identity.end_session(db, token)
            await db.commit()
        settings: Settings = request.app.state.settings
        return Response(content=None, status_code=204, cookies=[session_cookie(settings, "", max_age=0)])

    @get("/me")
    async def me(self, request: Request[Any, Any, Any], db: AsyncSession) -> dict[str, Any]:
        """The logged-in user and the tenants where it has a role."""
        user: identity.CurrentUser = request.scope["user"]
        tenants = [
            (tenant, role)
            for tenant, role in await tenants_of_user(db, user.id)
            if user.token_tenant_id is None or tenant.id == user.token_tenant_id
        ]
        return {
            "id": str(user.id),
            "email": user.email,
            "name": user.name,
            "tenants": [{"slug": t.slug, "name": t.name, "role": role} for t, role in tenants],
        }

    @get("/auth/tokens")
    async def list_tokens(self, request: Request[Any, Any, Any], db: AsyncSession) -> dict[str, Any]:
        """Your API tokens (never their secrets)."""
        user: identity.CurrentUser = request.scope["user"]
        slugs = {tenant.id: tenant.slug for tenant, _ in await tenants_of_user(db, user.id)}
        return {"items": [token_out(t, slugs) for t in await identity.list_api_tokens(db, user.id)]}

    @post("/auth/tokens", status_code=201)
    async def create_token(
        self, request: Request[Any, Any, Any], db: AsyncSession, data: TokenIn
    ) -> dict[str, Any]:
        """Create an API token; its secret is in this answer and nowhere else, ever. Optionally limited
        to one co-op (``tenant``), to reading (``read_only``) and in time (``expires_in_days``). Only a
        signed-in person creates tokens: a token cannot mint another."""
        user: identity.CurrentUser = request.scope["user"]
        if user.via_token:
            raise PermissionDenied("an API token cannot create tokens; sign in to create one")
        slugs = {tenant.id: tenant.slug for tenant, _ in await tenants_of_user(db, user.id)}
        tenant_id = None
        if data.tenant is not None:
            tenant_id = next((key for key, slug in slugs.items() if slug == data.tenant), None)
            if tenant_id is None:
                raise InvalidInput.field("tenant", "you have no role in a co-op with that slug")
        token, secret = await identity.create_api_token(
            db,
            user.id,
            data.name,
            tenant_id=tenant_id,
            read_only=data.read_only,
            days=data.expires_in_days,
        )
        await db.commit()
        return {**token_out(token, slugs), "token": secret}

    @delete("/auth/tokens/{token_id:uuid}", status_code=204)
    async def revoke_token(
        self, request: Request[Any, Any, Any], db: AsyncSession, token_id: uuid.UUID
    ) -> None:
        """Revoke one of your tokens; it stops working at once."""
        user: identity.CurrentUser = request.scope["user"]
        await identity.revoke_api_token(db, user.id, token_id)
        await db.commit()

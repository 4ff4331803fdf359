"""Pages of the person rather than of a co-op: logging in and out, the start page, and API tokens."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core import identity
from core.api.auth import login_user, session_cookie
from core.errors import DomainError, InvalidInput, TooManyRequests
from core.http.auth import SESSION_COOKIE
from core.identity import CurrentUser
from core.settings import Settings
from core.tenants import tenants_of_user
from core.web.shell import current_user, field_errors, form_data, redirect, render, safe_next

__all__ = ["ACCOUNT_PAGES"]

_NO_STORE = {"cache-control": "no-store"}


def _user(request: Request[Any, Any, Any]) -> CurrentUser:
    user = current_user(request)
    if user is None:  # the app's guard lets no anonymous visitor this far
        raise NotAuthorizedException("log in first")
    return user


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _duration(seconds: int) -> str:
    """A wait as a person reads it: seconds under a minute, else whole minutes, rounded up."""
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@get("/login", opt={"public": True})
async def login_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Response[Any]:
    """The login form; a logged-in visitor goes straight on."""
    if current_user(request) is not None:
        return redirect(request, safe_next(next_path))
    return await render(request, db, "core/login.html", next=safe_next(next_path), email="")


@post("/login", opt={"public": True})
async def login(request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
    """Check the e-mail and password; on success start a session and go where the visitor was going."""
    form = await form_data(request)
    email, password = form.get("email", ""), form.get("password", "")
    target = safe_next(form.get("next"))
    try:
        result = await login_user(request, db, email, password) if email and password else None
    except TooManyRequests as exc:
        return await render(
            request,
            db,
            "core/login.html",
            status=429,
            headers={"retry-after": str(exc.retry_after)},
            error=f"Too many failed logins. Wait {_duration(exc.retry_after)} before trying again.",
            next=target,
            email=email,
        )
    if result is None:
        return await render(
            request,
            db,
            "core/login.html",
            status=401,
            error="The e-mail or the password is wrong.",
            next=target,
            email=email,
        )
    _, token = result
    settings = _settings(request)
    cookie = session_cookie(settings, token, max_age=settings.session_days * 86400)
    return redirect(request, target, cookies=[cookie])


@post("/logout", opt={"public": True})
async def logout(request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
    """End this browser's session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await identity.end_session(db, token)
        await db.commit()
    cookie = session_cookie(_settings(request), "", max_age=0)
    return redirect(request, "/login", notice="You are logged out.", cookies=[cookie])


@get("/")
async def home(request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
    """The first co-op of the user, or a page saying there is none yet."""
    user = _user(request)
    tenants = await tenants_of_user(db, user.id)
    if tenants:
        return redirect(request, f"/t/{tenants[0][0].slug}/")
    return await render(request, db, "core/no_coop.html")


async def _tokens_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    *,
    status: int = 200,
    **context: Any,
) -> Response[Any]:
    user = _user(request)
    tokens = await identity.list_api_tokens(db, user.id)
    tenants = [tenant for tenant, _ in await tenants_of_user(db, user.id)]
    return await render(
        request,
        db,
        "core/tokens.html",
        status=status,
        tokens=tokens,
        token_tenants=tenants,
        slugs={tenant.id: tenant.slug for tenant in tenants},
        **context,
    )


@get("/account/tokens")
async def tokens_page(request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
    """The user's API tokens (never their secrets) and a form to create one."""
    return await _tokens_page(request, db)


@post("/account/tokens")
async def create_token(request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
    """Create a token; its secret is on this answer and nowhere else, ever."""
    user = _user(request)
    form = await form_data(request)
    try:
        tenant_id = None
        if form.get("tenant"):
            slugs = {tenant.slug: tenant.id for tenant, _ in await tenants_of_user(db, user.id)}
            if form["tenant"] not in slugs:
                raise InvalidInput.field("tenant", "you have no role in that co-op")
            tenant_id = slugs[form["tenant"]]
        days_text = form.get("expires_in_days", "").strip()
        if days_text and not re.fullmatch(r"[0-9]{1,5}", days_text):
            raise InvalidInput.field("expires_in_days", "must be a whole number of days")
        token, secret = await identity.create_api_token(
            db,
            user.id,
            form.get("name", ""),
            tenant_id=tenant_id,
            read_only=form.get("read_only") == "yes",
            days=int(days_text) if days_text else None,
        )
    except InvalidInput as exc:
        await db.rollback()
        return await _tokens_page(request, db, status=422, errors=field_errors(exc), form=form)
    await db.commit()
    return await render(
        request, db, "core/token_created.html", status=201, headers=_NO_STORE, token=token, secret=secret
    )


@post("/account/tokens/{token_id:uuid}/revoke")
async def revoke_token(
    request: Request[Any, Any, Any], db: AsyncSession, token_id: uuid.UUID
) -> Response[Any]:
    """Revoke one of the user's tokens; it stops working at once."""
    user = _user(request)
    try:
        await identity.revoke_api_token(db, user.id, token_id)
    except DomainError as exc:
        await db.rollback()
        return await _tokens_page(request, db, status=exc.status, error=exc.detail)
    await db.commit()
    return redirect(request, "/account/tokens", notice="The token is revoked; it no longer works.")


ACCOUNT_PAGES = [login_page, login, logout, home, tokens_page, create_token, revoke_token]

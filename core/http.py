"""HTTP plumbing shared by every route: authentication, rate limits, the request's database session,
the tenant context, and problem details for every error (RFC 9457)."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

import msgspec
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send
from sqlalchemy import bindparam, delete, insert, join, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.engine import Database
from core.db.tenancy import all_tenants
from core.errors import DomainError, PermissionDenied
from core.identity import Credential, CurrentUser, find_user, session_credential, token_credential
from core.models import PartyLink, RateCounter, Tenant, TenantModule, TenantUser, User
from core.tenants import PublicTenant, TenantContext

__all__ = [
    "SESSION_COOKIE",
    "AuthMiddleware",
    "RateLimitMiddleware",
    "exception_handlers",
    "provide_db",
    "provide_tenant_context",
    "requires_user",
]

log = logging.getLogger("coopstack")
SESSION_COOKIE = "coop_session"
PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://coopstack.org/problems/"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_SESSION_KEY = "coopstack.session"
_MEMBERSHIP_KEY = "coopstack.membership"


def _db(scope: Scope) -> Database:
    database: Database = scope["app"].state.db
    return database


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
        # write lock) and the session is closed as the response starts (see _closing).
        if _has_body(headers):
            limit: int = scope["app"].state.settings.max_body_bytes
            try:
                body = await _read_body(receive, headers, limit)
            except _BodyTooLarge:
                await _send_problem(send, 413, "body-too-large", f"the body is larger than {limit} bytes")
                return
            if body is None:
                return  # the client went away
            receive = _replay(body, receive)
        write = scope.get("method") in _UNSAFE
        credential = (
            token_credential(authorization[7:].strip())
            if authorization.lower().startswith("bearer ")
            else session_credential(cookie_token, now=utcnow())
            if cookie_token
            else None
        )
        session = _db(scope).session(write=write)
        try:
            try:
                user = await _authenticate(session, credential, scope)
            except DBAPIError as exc:
                # The lookup is the request's first statement: a pooled connection the database
                # server dropped fails here, before anything is done. The pool has replaced it.
                if not exc.connection_invalidated:
                    raise
                await session.close()
                session = _db(scope).session(write=write)
                user = await _authenticate(session, credential, scope)
            await self._pass(scope, receive, _closing(send, session), headers, user, session)
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
            and scope.get("method") in _UNSAFE
            and scope["path"].startswith("/api/")
            and not headers.get("content-type", "").startswith("application/json")
        ):
            await _send_problem(
                send, 415, "unsupported-media-type", "API writes with a session cookie must be JSON"
            )
            return
        scope["user"] = user
        scope["auth"] = "token" if user and user.via_token else ("session" if user else None)
        scope[_SESSION_KEY] = session  # type: ignore[literal-required]
        await self.app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class _Membership:
    """What the user's lookup found of the tenant the route names: the tenant (None when there is
    none by that slug, or the user has no role there), the role, and whether the route's module is on."""

    slug: str
    module: str | None
    tenant: Tenant | None
    role: str | None
    module_on: bool


def _tenant_route(scope: Scope) -> tuple[str, str | None] | None:
    """The tenant slug and module of a signed-in tenant route (API or pages), else None."""
    slug = scope.get("path_params", {}).get("tenant")
    handler = scope.get("route_handler")
    if not isinstance(slug, str) or handler is None or handler.opt.get("public"):
        return None
    if not scope["path"].startswith(("/api/v1/tenants/", "/t/")):
        return None  # the public pages under /p/ resolve their tenant themselves
    module = handler.opt.get("module")
    return slug, module if isinstance(module, str) else None


@functools.cache
def _with_membership(statement: Any, module: bool) -> Any:
    """``statement`` (a user lookup) joined with the user's role in the tenant named ``slug`` and, with
    ``module``, that module's switch there: the tenant context costs no query of its own. Built
    once per lookup."""
    member = join(
        TenantUser, Tenant, (Tenant.id == TenantUser.tenant_id) & (Tenant.slug == bindparam("slug"))
    )
    joined = (
        statement.add_columns(Tenant, TenantUser.role)
        .outerjoin(member, TenantUser.user_id == User.id)
        .execution_options(**all_tenants())
    )
    if module:
        joined = joined.add_columns(TenantModule.module).outerjoin(
            TenantModule, (TenantModule.tenant_id == Tenant.id) & (TenantModule.module == bindparam("module"))
        )
    return joined


async def _authenticate(
    session: AsyncSession, credential: Credential | None, scope: Scope
) -> CurrentUser | None:
    """The request's user; on a tenant route, the user's membership there too (in the scope)."""
    route = _tenant_route(scope)
    if credential is None or route is None:
        return await find_user(session, credential)
    slug, module = route
    statement = _with_membership(credential.statement, module is not None)
    row = (await session.execute(statement, {**credential.params, "slug": slug, "module": module})).first()
    if row is None:
        return None
    scope[_MEMBERSHIP_KEY] = _membership(row, slug, module)  # type: ignore[literal-required]
    return credential.user(row)


def _membership(row: Any, slug: str, module: str | None) -> _Membership:
    """The membership a ``_with_membership`` row holds (no row: the user is gone)."""
    role = row.role if row is not None else None
    return _Membership(
        slug,
        module,
        row.Tenant if role else None,
        role,
        role is not None and module is not None and row.module is not None,
    )


def _has_body(headers: dict[str, str]) -> bool:
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes | None:
    """The whole request body, or None when the client went away; ``_BodyTooLarge`` past ``limit``."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = cast(bytes, message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that gives the body already read, then whatever the client sends next."""
    given = False

    async def replay() -> Any:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _closing(send: Send, session: AsyncSession) -> Send:
    """``send`` that closes ``session`` (rolling back what was not committed) as the answer starts."""

    async def wrapped(message: Any) -> None:
        if message["type"] == "http.response.start":
            await session.close()
        await send(message)

    return wrapped


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


async def _send_problem(
    send: Send, status: int, kind: str, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = msgspec.json.encode(
        {"type": PROBLEM_BASE + kind, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    )
    raw_headers = [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": raw_headers}
    await send(start)
    chunk: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(chunk)


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
        key = f"ip:{client[0]}"
        now = time.time()
        window = int(now // 60)
        if window != self.window:
            await self._sync(_db(scope))
            self.window, self.unsynced, self.known = window, {}, {}
        self.unsynced[key] = self.unsynced.get(key, 0) + 1
        if now - self.last_sync >= self.SYNC_SECONDS and not self.syncing:
            await self._sync(_db(scope))
        if self.known.get(key, 0) + self.unsynced.get(key, 0) > limit:
            retry = 60 - int(now % 60)
            await _send_problem(
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
    values = {"counter_key": key, "counter_window": window, "amount": amount}
    async with database.transaction() as session:
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


async def count_of(database: Database, key: str, window: int) -> int:
    async with database.session(write=False) as session:
        value = await session.scalar(
            select(RateCounter.count).where(RateCounter.key == key, RateCounter.window == window)
        )
        return int(value or 0)


async def requires_user(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Deny by default: every route needs a logged-in user unless it is marked ``opt={"public": True}``.

    Async on purpose: Litestar runs a synchronous guard in a worker thread, a thread hop per request."""
    if handler.opt.get("public") or connection.scope["path"].startswith("/schema"):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("log in or send an API token")


async def provide_db(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """The request's session: a writer for unsafe methods, a reader otherwise; rolled back if
    uncommitted and closed before the response is sent. With a logged-in user it is the session the
    authentication middleware opened (and closes)."""
    opened = request.scope.get(_SESSION_KEY)
    if isinstance(opened, AsyncSession):
        yield opened  # the authentication middleware's, closed by it when the response is sent
        return
    database: Database = request.app.state.db
    session = database.session(write=request.method in _UNSAFE)
    try:
        yield session
    finally:
        await session.close()


# The user by id, for ``_with_membership`` when the request's lookup did not find the membership.
_USER_BY_ID = select(User.id, User.email, User.name).where(User.id == bindparam("user_id"))


async def provide_tenant_context(request: Request[Any, Any, Any], db: AsyncSession) -> TenantContext:
    """Resolve ``{tenant}`` for the user; 404 unless the user has a role there (existence is not
    confirmed), 404 when the route's module is off for the tenant, 403 when the role lacks the
    route's permission. Scopes ``db`` to the tenant."""
    user: CurrentUser | None = request.scope.get("user")
    slug = request.path_params.get("tenant")
    if user is None or not isinstance(slug, str):
        raise NotAuthorizedException("log in or send an API token")
    opt = request.route_handler.opt
    module = opt.get("module")
    # The whole tenant row: it stays in the session's identity map, so services that need the
    # tenant's details (an invoice's seller) get it without another query. The user's lookup
    # has usually found it already (``_authenticate``).
    found = request.scope.get(_MEMBERSHIP_KEY)
    if not (isinstance(found, _Membership) and found.slug == slug and found.module == module):
        statement = _with_membership(_USER_BY_ID, module is not None)
        row = (await db.execute(statement, {"user_id": user.id, "slug": slug, "module": module})).first()
        found = _membership(row, slug, module)
    if found.tenant is None or found.role is None:
        raise NotFoundException("no such tenant")
    if module is not None and not found.module_on:
        raise NotFoundException("not found")
    tenant = found.tenant
    role = found.role
    db.info["tenant_id"] = tenant.id
    db.info["tenant"] = tenant  # the identity map holds rows weakly: keep this one for the request
    party_ids: tuple[Any, ...] = ()
    if role == "member":
        party_ids = tuple(
            (await db.scalars(select(PartyLink.party_id).where(PartyLink.user_id == user.id))).all()
        )
    context = TenantContext(
        tenant_id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        currency=tenant.currency,
        locale=tenant.locale,
        user_id=user.id,
        role=role,
        permissions=request.app.state.role_permissions.get(role, frozenset()),
        party_ids=party_ids,
        timezone=tenant.timezone,
    )
    permission = opt.get("permission")
    if permission is not None and not context.can(permission):
        raise PermissionDenied(f"your role ({role}) may not do this here; it needs {permission}")
    return context


async def provide_public_tenant(request: Request[Any, Any, Any], db: AsyncSession) -> PublicTenant:
    """For unauthenticated module pages under ``/p/{tenant}``: the tenant, 404 when it does not exist
    or the route's module is off there. Scopes ``db`` to the tenant."""
    slug = request.path_params.get("tenant")
    tenant = await db.scalar(select(Tenant).where(Tenant.slug == slug)) if isinstance(slug, str) else None
    if tenant is None:
        raise NotFoundException("not found")
    db.info["tenant_id"] = tenant.id
    module = request.route_handler.opt.get("module")
    if module is not None:
        enabled = await db.scalar(select(TenantModule.module).where(TenantModule.module == module))
        if enabled is None:
            raise NotFoundException("not found")
    return PublicTenant(
        tenant_id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        currency=tenant.currency,
        locale=tenant.locale,
        timezone=tenant.timezone,
    )


def _problem(
    status: int,
    kind: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = {
        "type": PROBLEM_BASE + kind,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update(extra or {})
    return Response(content=body, status_code=status, media_type=PROBLEM, headers=headers)


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(("/api/", "/schema", "/healthz")) and request.method in (
        "GET",
        "HEAD",
    )


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
    return _problem(exc.status, exc.type, exc.detail, exc.extra, headers)


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = []
    if isinstance(exc.extra, list):
        for item in exc.extra:
            if isinstance(item, dict):
                errors.append(
                    {
                        "field": str(item.get("key") or item.get("source") or "body"),
                        "message": str(item.get("message", "")),
                    }
                )
    detail = exc.detail if exc.detail and exc.detail != "Bad Request" else "the request is not valid"
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return _problem(422 if errors else 400, "validation", detail, {"errors": errors})


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and _wants_page(request):
        return Redirect(path=f"/login?next={request.url.path}")
    kinds = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "body-too-large",
        429: "rate-limited",
    }
    status = exc.status_code
    detail = exc.detail or HTTPStatus(status).phrase
    if status == 404:
        detail = "not found"
    return _problem(status, kinds.get(status, f"http-{status}"), detail, None, exc.headers)


def _integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    log.info("integrity error on %s: %s", request.url.path, exc.orig)
    return _problem(409, "conflict", "the change conflicts with existing data; reload and try again")


def _sqlstate(exc: DBAPIError) -> str:
    for cause in (exc.orig, getattr(exc.orig, "__cause__", None)):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(state, str):
            return state
    return ""


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    """A value the database refuses as data (SQLSTATE class 22: a NUL character, a number out of its
    column's range) is the input's fault, not the server's: 422. Anything else is a server error.
    Checks in the services name the field where they can."""
    if isinstance(exc, DataError) or _sqlstate(exc).startswith("22"):
        log.info("data error on %s: %s", request.url.path, exc.orig)
        detail = "the request holds a value the database cannot store or compare"
        return _problem(422, "validation", detail, {"errors": []})
    if exc.connection_invalidated:  # the server dropped the connection mid-request; the pool replaced it
        log.warning("database connection lost on %s %s: %s", request.method, request.url.path, exc.orig)
        if request.method in _UNSAFE:  # it may have been lost after the COMMIT reached the server
            detail = (
                "the connection to the database was lost during the change; check whether it was saved "
                "before sending it again"
            )
            return _problem(503, "unavailable", detail)
        return _problem(
            503, "unavailable", "the connection to the database was lost; retry", headers={"Retry-After": "1"}
        )
    return _internal_error(request, exc)


def _database_busy(request: Request[Any, Any, Any], exc: OperationalError | PoolTimeout) -> Response[Any]:
    """A lock or a connection not had in time (SQLite's busy timeout, the pool's wait): retry later."""
    log.warning("database busy on %s: %s", request.url.path, getattr(exc, "orig", exc))
    return _problem(503, "unavailable", "the database is busy; retry shortly", headers={"Retry-After": "1"})


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem(500, "internal", "something went wrong on our side; it has been logged")


exception_handlers: dict[type[Exception] | int, Any] = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    IntegrityError: _integrity_error,
    DBAPIError: _database_error,
    OperationalError: _database_busy,
    PoolTimeout: _database_busy,
    Exception: _internal_error,
}

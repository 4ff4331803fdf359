"""The web shell's plumbing: the layout's context (user, co-ops, navigation, notices), flash notices
carried across a redirect, form reading, and error pages in HTML for every page route.

Module pages render with :func:`render` and extend ``core/base.html`` to get the same shell.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import FieldError, InvalidInput
from core.http.problems import exception_handlers as api_exception_handlers
from core.identity import CurrentUser
from core.module import NavEntry
from core.registry import ModuleRegistry
from core.settings import Settings
from core.tenants import TenantContext, enabled_modules, tenants_of_user

__all__ = [
    "CORE_NAV",
    "NavLink",
    "form_data",
    "is_htmx",
    "length_errors",
    "page_exception_handlers",
    "redirect",
    "render",
    "safe_next",
]

NOTICE_COOKIE = "coop_notice"
_NOTICE_MAX = 400

CORE_NAV: tuple[NavEntry, ...] = (
    NavEntry("Dashboard", "", "core.tenant.view", order=0),
    NavEntry("Parties", "parties", "core.parties.view", order=10),
    NavEntry("Users & roles", "users", "core.users.manage", order=80),
    NavEntry("Settings", "settings", "core.tenant.view", order=90),
    NavEntry("Modules", "modules", "core.tenant.view", order=91),
    NavEntry("Audit log", "audit", "core.audit.view", order=92),
)


@dataclass(frozen=True, slots=True)
class NavLink:
    title: str
    href: str
    is_current: bool


def current_user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user: CurrentUser | None = request.scope.get("user")
    return user


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """A partial update asked for by htmx (not a history restore, which wants the whole page)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _notice_cookie(request: Request[Any, Any, Any], value: str, *, max_age: int) -> Cookie:
    return Cookie(
        key=NOTICE_COOKIE,
        value=value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_settings(request).base_url.startswith("https://"),
        path="/",
    )


def redirect(
    request: Request[Any, Any, Any], path: str, *, notice: str | None = None, cookies: Iterable[Cookie] = ()
) -> Redirect:
    """A 303 to ``path`` (after a POST), carrying a one-time notice shown on the next page."""
    all_cookies = list(cookies)
    if notice:
        payload = json.dumps(notice[:_NOTICE_MAX]).encode()
        all_cookies.append(
            _notice_cookie(request, base64.urlsafe_b64encode(payload).decode().rstrip("="), max_age=60)
        )
    return Redirect(path=path, status_code=303, cookies=all_cookies)


def _read_notice(request: Request[Any, Any, Any]) -> str | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error):
        return None
    return value[:_NOTICE_MAX] if isinstance(value, str) else None


def _nav(
    request: Request[Any, Any, Any], ctx: TenantContext, registry: ModuleRegistry, enabled: set[str]
) -> list[NavLink]:
    entries = list(CORE_NAV)
    for module in registry:
        if module.name in enabled:
            entries.extend(module.nav)
    entries.sort(key=lambda e: e.order)
    base = f"/t/{quote(ctx.slug)}/"
    path = request.url.path.rstrip("/") + "/"
    links = []
    for entry in entries:
        if entry.permission is not None and not ctx.can(entry.permission):
            continue
        href = base + entry.path.strip("/")
        target = href.rstrip("/") + "/"
        is_current = path == target if not entry.path.strip("/") else path.startswith(target)
        links.append(NavLink(entry.title, href, is_current))
    return links


async def render(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    template: str,
    *,
    ctx: TenantContext | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Template:
    """Render a page inside the shell: the user's co-ops, the navigation of ``ctx``'s co-op (core entries
    and those of its enabled modules, filtered by the user's rights) and any pending notice."""
    user = current_user(request)
    tenants: list[tuple[str, str, str]] = []
    if user:
        # The user's co-ops across tenants, in a session of its own: ``db`` is scoped to this co-op
        # (and on PostgreSQL its row-level security would show only this one).
        async with request.app.state.db.session(write=False) as platform:
            tenants = [
                (t.slug, t.name, role)
                for t, role in await tenants_of_user(platform, user.id)
                if user.token_tenant_id is None or t.id == user.token_tenant_id
            ]
    nav: list[NavLink] = []
    if ctx is not None:
        nav = _nav(request, ctx, request.app.state.registry, await enabled_modules(db))
    cookies: list[Cookie] = []
    notice = None
    if not is_htmx(request):
        notice = _read_notice(request)
        if request.cookies.get(NOTICE_COOKIE):
            cookies.append(_notice_cookie(request, "", max_age=0))
    return Template(
        template_name=template,
        context={
            "user": user,
            "tenants": tenants,
            "ctx": ctx,
            "nav": nav,
            "notice": notice,
            **context,
        },
        status_code=status,
        cookies=cookies,
        headers={"vary": "HX-Request", **(headers or {})},
    )


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted form's text fields (the last value of each), trimmed."""
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


def length_errors(values: Mapping[str, str], limits: Mapping[str, int]) -> list[FieldError]:
    """Field errors for values longer than their column allows."""
    return [
        {"field": field, "message": f"must be at most {limit} characters"}
        for field, limit in limits.items()
        if len(values.get(field, "")) > limit
    ]


def field_errors(exc: InvalidInput) -> dict[str, str]:
    """``{field: message}`` of a validation error, for showing each message beside its field."""
    return {error["field"]: error["message"] for error in exc.errors}


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error of a page route as an HTML page; an anonymous visitor is sent to the login page."""
    if isinstance(exc, NotAuthorizedException) and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?next={quote(target, safe='')}")
    handler = None
    for cls in type(exc).__mro__:
        handler = api_exception_handlers.get(cls)
        if handler is not None:
            break
    problem: Response[Any] = (handler or api_exception_handlers[Exception])(request, exc)  # logs it
    if isinstance(problem, Redirect) or not isinstance(problem.content, dict):
        return problem
    status = problem.status_code or 500
    detail = str(problem.content.get("detail") or HTTPStatus(status).phrase)
    if status == 403 and "csrf" in detail.lower():
        detail = "this form has expired; go back, reload the page and try again"
    headers = {k: v for k, v in problem.headers.items() if k.lower() == "retry-after"}
    return Template(
        template_name="core/error.html",
        context={
            "user": current_user(request),
            "status": status,
            "title": HTTPStatus(status).phrase,
            "detail": detail,
        },
        status_code=status,
        headers=headers,
    )


page_exception_handlers: dict[type[Exception] | int, Any] = dict.fromkeys(
    (*api_exception_handlers, Exception), _error_page
)

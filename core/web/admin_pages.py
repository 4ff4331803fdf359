"""Running a co-op: its legal details, who may do what, which modules are on, and the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import tenants
from core.errors import DomainError, InvalidInput
from core.models import AuditEntry, Tenant, TenantUser, User
from core.pagination import Page, paginate
from core.permissions import ROLES
from core.registry import ModuleRegistry
from core.tenants import TenantContext
from core.web.shell import field_errors, form_data, length_errors, redirect, render

__all__ = ["ADMIN_PAGES"]

_TENANT_TEXT_FIELDS = (
    "name",
    "legal_name",
    "vat_id",
    "company_id",
    "email",
    "iban",
    "bic",
    "currency",
    "locale",
)
_OPTIONAL_FIELDS = ("vat_id", "company_id", "email", "iban", "bic")
ADDRESS_FIELDS = ("line1", "line2", "postcode", "city", "region", "country")
_TENANT_LIMITS = {
    "name": 200,
    "legal_name": 200,
    "vat_id": 32,
    "company_id": 32,
    "email": 254,
    "iban": 34,
    "bic": 11,
    "currency": 3,
    "locale": 16,
    **{f"address.{f}": 200 for f in ADDRESS_FIELDS},
}


def _tenant_form(tenant: Tenant) -> dict[str, str]:
    values = {field: getattr(tenant, field) or "" for field in _TENANT_TEXT_FIELDS}
    address = tenant.address or {}
    values.update({f"address.{f}": str(address.get(f) or "") for f in ADDRESS_FIELDS})
    return values


async def _settings_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    *,
    form: dict[str, str] | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> Response[Any]:
    tenant = await db.get_one(Tenant, ctx.tenant_id)
    return await render(
        request,
        db,
        "core/settings.html",
        ctx=ctx,
        status=status,
        tenant=tenant,
        form=form or _tenant_form(tenant),
        address_fields=ADDRESS_FIELDS,
        can_manage=ctx.can("core.tenant.manage"),
        errors=errors or {},
        error=error,
    )


@get("/t/{tenant:str}/settings", opt={"permission": "core.tenant.view"})
async def settings_page(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """The co-op's legal details: a form for owners and admins, a read-only page for others."""
    return await _settings_page(request, db, ctx)


@post("/t/{tenant:str}/settings", opt={"permission": "core.tenant.manage"})
async def save_settings(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """Change the co-op's legal details; identifiers are checked for its country."""
    form = await form_data(request)
    changes: dict[str, Any] = {field: form.get(field) or None for field in _OPTIONAL_FIELDS}
    changes.update({field: form.get(field, "") for field in ("name", "legal_name", "currency", "locale")})
    changes["address"] = {f: form.get(f"address.{f}", "") for f in ADDRESS_FIELDS}
    tenant = await db.get_one(Tenant, ctx.tenant_id)
    try:
        too_long = length_errors(form, _TENANT_LIMITS)
        if too_long:
            raise InvalidInput("some fields are too long", errors=too_long)
        await tenants.update_tenant(db, tenant, changes, actor_id=ctx.user_id)
    except InvalidInput as exc:
        await db.rollback()
        return await _settings_page(
            request, db, ctx, form=form, status=422, errors=field_errors(exc), error=exc.detail
        )
    except DomainError as exc:
        await db.rollback()
        return await _settings_page(request, db, ctx, form=form, status=exc.status, error=exc.detail)
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}/settings", notice="The co-op's details are saved.")


async def _users_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response[Any]:
    rows = await db.execute(
        select(User.id, User.email, User.name, TenantUser.role)
        .join(TenantUser, TenantUser.user_id == User.id)
        .order_by(User.name, User.email)
    )
    return await render(
        request,
        db,
        "core/users.html",
        ctx=ctx,
        status=status,
        people=rows.all(),
        roles=ROLES,
        error=error,
        form=form or {"role": "viewer"},
    )


@get("/t/{tenant:str}/users", opt={"permission": "core.users.manage"})
async def users_page(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """Who has a role in the co-op, and forms to grant and revoke roles."""
    return await _users_page(request, db, ctx)


@post("/t/{tenant:str}/users", opt={"permission": "core.users.manage"})
async def grant_role(request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext) -> Response[Any]:
    """Give an existing user, found by e-mail, a role in the co-op (replacing any role it had)."""
    form = await form_data(request)
    email = form.get("email", "").lower()
    user = await db.scalar(select(User).where(User.email == email)) if email else None
    try:
        if user is None:
            raise InvalidInput.field("email", "no user has that e-mail; the person needs an account first")
        await tenants.grant_role(
            db, user=user, role=form.get("role", ""), actor_id=ctx.user_id, actor_role=ctx.role
        )
    except DomainError as exc:
        await db.rollback()
        return await _users_page(request, db, ctx, status=exc.status, error=exc.detail, form=form)
    await db.commit()
    return redirect(request, f"/t/{ctx.slug}/users", notice=f"{user.email} is now {form.get('role')}.")


@post("/t/{tenant:str}/users/{user_id:uuid}/revoke", opt={"permission": "core.users.manage"})
async def revoke_role(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, user_id: uuid.UUID
) -> Response[Any]:
    """Take a user's role in the co-op away."""
    try:
        await tenants.revoke_role(db, user_id, actor_id=ctx.user_id, actor_role=ctx.role)
    except DomainError as exc:
        await db.rollback()
        return await _users_page(request, db, ctx, status=exc.status, error=exc.detail)
    await db.commit()
    if user_id == ctx.user_id:
        return redirect(request, "/", notice=f"You no longer have a role in {ctx.name}.")
    return redirect(request, f"/t/{ctx.slug}/users", notice="The role is revoked.")


def _registry(request: Request[Any, Any, Any]) -> ModuleRegistry:
    registry: ModuleRegistry = request.app.state.registry
    return registry


async def _modules_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    ctx: TenantContext,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response[Any]:
    return await render(
        request,
        db,
        "core/modules.html",
        ctx=ctx,
        status=status,
        modules=list(_registry(request)),
        enabled=await tenants.enabled_modules(db),
        can_manage=ctx.can("core.modules.manage"),
        error=error,
    )


@get("/t/{tenant:str}/modules", opt={"permission": "core.tenant.view"})
async def modules_page(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
) -> Response[Any]:
    """The installed modules and which are on in this co-op."""
    return await _modules_page(request, db, ctx)


@post("/t/{tenant:str}/modules/{name:str}/{action:str}", opt={"permission": "core.modules.manage"})
async def switch_module(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, name: str, action: str
) -> Response[Any]:
    """Switch a module on or off; refusals (a needed module is off, or another needs this one) are shown."""
    if action not in ("enable", "disable"):
        return await _modules_page(request, db, ctx, status=404, error="There is no such action.")
    registry = _registry(request)
    try:
        if action == "enable":
            await tenants.enable_module(db, registry, name, actor_id=ctx.user_id)
        else:
            await tenants.disable_module(db, registry, name, actor_id=ctx.user_id)
    except DomainError as exc:
        await db.rollback()
        return await _modules_page(request, db, ctx, status=exc.status, error=exc.detail)
    await db.commit()
    module = registry.get(name)
    title = module.title if module else name
    state = "on" if action == "enable" else "off"
    return redirect(request, f"/t/{ctx.slug}/modules", notice=f"{title} is switched {state}.")


async def _audit_page(db: AsyncSession, cursor: str | None) -> Page[AuditEntry]:
    statement = select(AuditEntry)
    return await paginate(
        db, statement, sort=AuditEntry.at, id_column=AuditEntry.id, limit=50, cursor=cursor, descending=True
    )


@get("/t/{tenant:str}/audit", opt={"permission": "core.audit.view"})
async def audit_page(
    request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, cursor: str | None = None
) -> Response[Any]:
    """Who did what, newest first."""
    try:
        page = await _audit_page(db, cursor)
    except InvalidInput:  # a cursor from elsewhere: start again from the newest
        page = await _audit_page(db, None)
    actor_ids = {e.actor_id for e in page.items if e.actor_id}
    actors: dict[uuid.UUID, str] = {}
    if actor_ids:
        rows = await db.execute(select(User.id, User.email).where(User.id.in_(actor_ids)))
        actors = {row.id: row.email for row in rows}
    return await render(
        request,
        db,
        "core/audit.html",
        ctx=ctx,
        entries=page.items,
        actors=actors,
        next_cursor=page.next_cursor,
        is_continued=bool(cursor),
    )


ADMIN_PAGES = [
    settings_page,
    save_settings,
    users_page,
    grant_role,
    revoke_role,
    modules_page,
    switch_module,
    audit_page,
]

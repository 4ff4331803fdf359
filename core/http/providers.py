"""The dependencies a route handler asks for: its database session (``db``), the tenant context of
a signed-in tenant route (``ctx``) and the tenant of a public page (``tenant``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, NotFoundException
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.engine import Database
from core.errors import PermissionDenied
from core.http.access import TENANT_ACCESS_KEY, TenantAccess, tenant_access, with_tenant_access
from core.http.sessions import REQUEST_SESSION_KEY, UNSAFE_METHODS
from core.identity import CurrentUser
from core.models import PartyLink, Tenant, TenantModule, User
from core.tenants import PublicTenant, TenantContext

__all__ = ["provide_db", "provide_public_tenant", "provide_tenant_context"]


async def provide_db(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """The request's session: a writer for unsafe methods, a reader otherwise; rolled back if
    uncommitted and closed before the response is sent. With a logged-in user it is the session the
    authentication middleware opened (and closes)."""
    opened = request.scope.get(REQUEST_SESSION_KEY)
    if isinstance(opened, AsyncSession):
        yield opened  # the authentication middleware's, closed by it when the response is sent
        return
    database: Database = request.app.state.db
    session = database.session(write=request.method in UNSAFE_METHODS)
    try:
        yield session
    finally:
        await session.close()


# The user by id, for ``with_tenant_access`` when the request's lookup did not find the access.
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
    # has usually found it already (``authenticate``).
    found = request.scope.get(TENANT_ACCESS_KEY)
    if not (isinstance(found, TenantAccess) and found.slug == slug and found.module == module):
        statement = with_tenant_access(_USER_BY_ID, module is not None)
        row = (await db.execute(statement, {"user_id": user.id, "slug": slug, "module": module})).first()
        found = tenant_access(row, slug, module)
    if found.tenant is None or found.role is None:
        raise NotFoundException("no such tenant")
    if user.token_tenant_id is not None and found.tenant.id != user.token_tenant_id:
        raise NotFoundException("no such tenant")  # a token for another tenant: as if no role here
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

"""The user's access to the tenant a route names (the tenant, the user's role there, whether the
route's module is on), looked up in the same statement as the user so it costs no query of its own."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from litestar.types import Scope
from sqlalchemy import bindparam, join
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.tenancy import all_tenants
from core.identity import Credential, CurrentUser, find_user
from core.models import Tenant, TenantModule, TenantUser, User

__all__ = ["TENANT_ACCESS_KEY", "TenantAccess", "authenticate", "tenant_access", "with_tenant_access"]

# Where ``authenticate`` leaves what it found, for ``provide_tenant_context``.
TENANT_ACCESS_KEY = "coopstack.tenant_access"


@dataclass(frozen=True, slots=True)
class TenantAccess:
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
def with_tenant_access(statement: Any, module: bool) -> Any:
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


async def authenticate(
    session: AsyncSession, credential: Credential | None, scope: Scope
) -> CurrentUser | None:
    """The request's user; on a tenant route, the user's access there too (in the scope)."""
    route = _tenant_route(scope)
    if credential is None or route is None:
        return await find_user(session, credential)
    slug, module = route
    statement = with_tenant_access(credential.statement, module is not None)
    row = (await session.execute(statement, {**credential.params, "slug": slug, "module": module})).first()
    if row is None:
        return None
    scope[TENANT_ACCESS_KEY] = tenant_access(row, slug, module)  # type: ignore[literal-required]
    return credential.user(row)


def tenant_access(row: Any, slug: str, module: str | None) -> TenantAccess:
    """The access a ``with_tenant_access`` row holds (no row: the user is gone)."""
    role = row.role if row is not None else None
    return TenantAccess(
        slug,
        module,
        row.Tenant if role else None,
        role,
        role is not None and module is not None and row.module is not None,
    )

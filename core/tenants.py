"""Tenants, their users' roles, and which modules each tenant has switched on."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.db.lookup import fetch
from core.db.tenancy import all_tenants, required_tenant_id
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.identifiers import check_address, check_bic, check_iban, check_vat_id
from core.models import PartyLink, Tenant, TenantModule, TenantUser, User
from core.money import is_currency
from core.parties import get_party
from core.permissions import ROLES
from core.registry import ModuleRegistry
from core.text import check_texts

__all__ = [
    "PublicTenant",
    "TenantContext",
    "create_tenant",
    "disable_module",
    "enable_module",
    "enabled_modules",
    "grant_role",
    "tenant_by_slug",
    "update_tenant",
]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {"account", "admin", "api", "assets", "docs", "healthz", "login", "logout", "p", "schema", "static", "t"}
)
"""Slugs that name the install's own routes (every first path segment, checked by a test), or may."""
_TIMEZONES = frozenset(available_timezones())
_LOCALES = ("en", "fr", "de", "es", "it", "nl", "pt", "ca")


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who is acting, in which tenant, with which rights: resolved once per request."""

    tenant_id: uuid.UUID
    slug: str
    name: str
    currency: str
    locale: str
    user_id: uuid.UUID | None
    role: str
    permissions: frozenset[str]
    party_ids: tuple[uuid.UUID, ...] = ()
    timezone: str = "UTC"

    def today(self) -> date:
        """The calendar day it is now where the co-op is."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    def can(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True, slots=True)
class PublicTenant:
    """The tenant of an unauthenticated page (a membership application form, say)."""

    tenant_id: uuid.UUID
    slug: str
    name: str
    currency: str
    locale: str
    timezone: str

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput.field("slug", "use 1-63 lower-case letters, digits and inner hyphens")
    if slug in RESERVED_SLUGS:
        raise InvalidInput.field("slug", f"{slug!r} is reserved by the install; choose another")
    return slug


def check_currency(currency: str) -> str:
    currency = currency.upper()
    if not is_currency(currency):
        raise InvalidInput.field("currency", f"{currency!r} is not an ISO 4217 currency code")
    return currency


def check_timezone(timezone: str) -> str:
    """An IANA time zone name such as ``Europe/Paris``."""
    if not isinstance(timezone, str) or timezone not in _TIMEZONES:
        raise InvalidInput.field("timezone", f"{timezone!r} is not a time zone name such as Europe/Paris")
    return timezone


def check_locale(locale: str) -> str:
    if locale.split("_")[0] not in _LOCALES:
        raise InvalidInput.field("locale", f"{locale!r} is not a supported locale ({', '.join(_LOCALES)})")
    return locale


async def create_tenant(
    session: AsyncSession,
    *,
    slug: str,
    name: str,
    currency: str = "EUR",
    locale: str = "en",
    timezone: str = "UTC",
) -> Tenant:
    """Create a tenant; slugs are unique across the install."""
    check_slug(slug)
    if not name.strip():
        raise InvalidInput.field("name", "must not be empty")
    if await session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict(f"a tenant with slug {slug!r} already exists")
    tenant = Tenant(
        slug=slug,
        name=name.strip(),
        legal_name=name.strip(),
        currency=check_currency(currency),
        locale=check_locale(locale),
        timezone=check_timezone(timezone),
        address={},
    )
    session.add(tenant)
    await session.flush()
    return tenant


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant:
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    return tenant


_TENANT_FIELDS = (
    "name",
    "legal_name",
    "vat_id",
    "company_id",
    "address",
    "email",
    "iban",
    "bic",
    "currency",
    "locale",
    "timezone",
)


async def update_tenant(
    session: AsyncSession, tenant: Tenant, changes: Mapping[str, Any], *, actor_id: uuid.UUID | None
) -> Tenant:
    """Change the tenant's legal details; identifiers are validated for the tenant's country."""
    before = {f: getattr(tenant, f) for f in _TENANT_FIELDS}
    values = dict(changes)
    check_texts(values)
    address = values.get("address", tenant.address) or {}
    if "address" in values:
        values["address"] = check_address(address)
    country = (values.get("address") or tenant.address or {}).get("country")
    if values.get("vat_id"):
        values["vat_id"] = check_vat_id(values["vat_id"], country)
    if values.get("iban"):
        values["iban"] = check_iban(values["iban"])
    if values.get("bic"):
        values["bic"] = check_bic(values["bic"])
    if "currency" in values:
        values["currency"] = check_currency(values["currency"])
    if "locale" in values:
        values["locale"] = check_locale(values["locale"])
    if "timezone" in values:
        values["timezone"] = check_timezone(values["timezone"])
    for field in ("name", "legal_name"):
        if field in values and not str(values[field]).strip():
            raise InvalidInput.field(field, "must not be empty")
    for field, value in values.items():
        if field in _TENANT_FIELDS:
            setattr(tenant, field, value)
    after = {f: getattr(tenant, f) for f in _TENANT_FIELDS}
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="tenant",
        object_id=tenant.id,
        action="update",
        changes=audit.diff(before, after),
    )
    await session.flush()
    return tenant


async def enabled_modules(session: AsyncSession) -> set[str]:
    """Names of the modules the session's tenant has switched on."""
    return set((await session.scalars(select(TenantModule.module))).all())


async def enable_module(
    session: AsyncSession, registry: ModuleRegistry, name: str, *, actor_id: uuid.UUID | None
) -> None:
    """Switch a module on; refused while a module it depends on is off."""
    module = registry.get(name)
    if module is None:
        raise NotFound(f"no module {name!r} is installed")
    enabled = await enabled_modules(session)
    if name in enabled:
        return
    missing = [dep for dep in module.depends if dep not in enabled]
    if missing:
        raise Conflict(
            f"module {name!r} needs {', '.join(repr(m) for m in missing)} switched on first",
            extra={"missing": missing},
        )
    session.add(TenantModule(module=name))
    await audit.record(session, actor_id=actor_id, object_type="module", object_id=name, action="enable")
    await session.flush()


async def disable_module(
    session: AsyncSession, registry: ModuleRegistry, name: str, *, actor_id: uuid.UUID | None
) -> None:
    """Switch a module off; refused while an enabled module depends on it. Its data stays."""
    if name not in registry:
        raise NotFound(f"no module {name!r} is installed")
    enabled = await enabled_modules(session)
    if name not in enabled:
        return
    needing = [m for m in registry.dependants(name) if m in enabled]
    if needing:
        raise Conflict(
            f"module {name!r} is needed by {', '.join(repr(m) for m in needing)}; switch those off first",
            extra={"needed_by": needing},
        )
    await session.execute(delete(TenantModule).where(TenantModule.module == name))
    await audit.record(session, actor_id=actor_id, object_type="module", object_id=name, action="disable")


async def grant_role(
    session: AsyncSession,
    *,
    user: User,
    role: str,
    party_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    actor_role: str | None = None,
) -> TenantUser:
    """Give ``user`` a role in the session's tenant (replacing any), optionally acting for a party."""
    if role not in ROLES:
        raise InvalidInput.field("role", f"must be one of {', '.join(ROLES)}")
    membership = await session.scalar(select(TenantUser).where(TenantUser.user_id == user.id))
    before = membership.role if membership else None
    await _check_owners(session, before=before, after=role, actor_role=actor_role)
    changed = before != role
    if membership is None:
        membership = TenantUser(user_id=user.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    if party_id is not None:
        await get_party(session, party_id)
        link = await session.scalar(
            select(PartyLink).where(PartyLink.user_id == user.id, PartyLink.party_id == party_id)
        )
        if link is None:
            session.add(PartyLink(user_id=user.id, party_id=party_id, rights="manage"))
            changed = True
    if not changed:
        return membership
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="user",
        object_id=user.id,
        action="grant",
        changes={"role": [before, role], **({"party_id": str(party_id)} if party_id else {})},
    )
    await session.flush()
    return membership


async def _check_owners(
    session: AsyncSession, *, before: str | None, after: str | None, actor_role: str | None
) -> None:
    """Only an owner may make, change or remove an owner, and no change may leave the co-op without one
    (an owner demoting itself included). ``actor_role`` None is the platform (``coop`` commands).

    The co-op's row is locked before the owners are counted, so two changes at once cannot each remove
    one of the last two owners: the second waits, then counts what the first left (PostgreSQL's
    ``FOR UPDATE``; SQLite's writer already holds the database)."""
    if before == after or "owner" not in (before, after):
        return
    if actor_role not in (None, "owner"):
        raise PermissionDenied("only an owner can make, change or remove an owner")
    if before != "owner":
        return
    await fetch(session, Tenant, required_tenant_id(session), what="co-op", for_update=True)
    owners = await session.scalar(
        select(func.count()).select_from(TenantUser).where(TenantUser.role == "owner")
    )
    if (owners or 0) <= 1:
        raise Conflict("the last owner cannot be removed or demoted; make someone else owner first")


async def revoke_role(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    actor_role: str | None = None,
) -> None:
    """Take ``user_id``'s role in the session's tenant away, with its links to parties."""
    tenant_user = await session.scalar(select(TenantUser).where(TenantUser.user_id == user_id))
    if tenant_user is None:
        raise NotFound("that user has no role here")
    await _check_owners(session, before=tenant_user.role, after=None, actor_role=actor_role)
    await session.delete(tenant_user)
    await session.execute(delete(PartyLink).where(PartyLink.user_id == user_id))
    await audit.record(
        session,
        actor_id=actor_id,
        object_type="user",
        object_id=user_id,
        action="revoke",
        changes={"role": [tenant_user.role, None]},
    )


async def tenants_of_user(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Tenant, str]]:
    """Every tenant where ``user_id`` has a role, with the role (platform-wide listing)."""
    rows = await session.execute(
        select(Tenant, TenantUser.role)
        .join(TenantUser, TenantUser.tenant_id == Tenant.id)
        .where(TenantUser.user_id == user_id)
        .order_by(Tenant.name)
        .execution_options(**all_tenants())
    )
    return [(tenant, role) for tenant, role in rows.all()]

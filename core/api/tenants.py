"""A tenant's details, its users and roles, its modules, its membership classes and its audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import memberships, tenants
from core.errors import InvalidInput
from core.models import AuditEntry, PartyLink, Tenant, TenantUser, User
from core.pagination import paginate
from core.schemas import Address, GrantIn, MembershipClassIn, class_out, tenant_out
from core.tenants import TenantContext

__all__ = ["TenantController"]


class TenantPatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    legal_name: str | msgspec.UnsetType = msgspec.UNSET
    vat_id: str | msgspec.UnsetType | None = msgspec.UNSET
    company_id: str | msgspec.UnsetType | None = msgspec.UNSET
    address: Address | msgspec.UnsetType = msgspec.UNSET
    email: str | msgspec.UnsetType | None = msgspec.UNSET
    iban: str | msgspec.UnsetType | None = msgspec.UNSET
    bic: str | msgspec.UnsetType | None = msgspec.UNSET
    currency: str | msgspec.UnsetType = msgspec.UNSET
    locale: str | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET


def _set_fields(struct: msgspec.Struct) -> dict[str, Any]:
    return {
        f: msgspec.to_builtins(getattr(struct, f))
        for f in struct.__struct_fields__
        if getattr(struct, f) is not msgspec.UNSET
    }


class TenantController(Controller):
    path = "/api/v1/tenants"
    tags = ["tenants"]

    @get("/{tenant:str}", opt={"permission": "core.tenant.view"})
    async def show(self, ctx: TenantContext, db: AsyncSession) -> dict[str, Any]:
        """The co-op's legal details and enabled modules."""
        tenant = await db.get_one(Tenant, ctx.tenant_id)
        return tenant_out(tenant, modules=sorted(await tenants.enabled_modules(db)))

    @patch("/{tenant:str}", opt={"permission": "core.tenant.manage"})
    async def update(self, ctx: TenantContext, db: AsyncSession, data: TenantPatch) -> dict[str, Any]:
        """Change the co-op's legal details (owner, admin)."""
        tenant = await db.get_one(Tenant, ctx.tenant_id)
        await tenants.update_tenant(db, tenant, _set_fields(data), actor_id=ctx.user_id)
        await db.commit()
        return tenant_out(tenant, modules=sorted(await tenants.enabled_modules(db)))

    @get("/{tenant:str}/users", opt={"permission": "core.users.manage"})
    async def users(self, db: AsyncSession, ctx: TenantContext) -> dict[str, Any]:
        """Users with a role here, with the parties they act for."""
        rows = await db.execute(
            select(User.id, User.email, User.name, TenantUser.role)
            .join(TenantUser, TenantUser.user_id == User.id)
            .order_by(User.name)
        )
        links: dict[uuid.UUID, list[str]] = {}
        for link in (await db.scalars(select(PartyLink))).all():
            links.setdefault(link.user_id, []).append(str(link.party_id))
        return {
            "items": [
                {
                    "id": str(r.id),
                    "email": r.email,
                    "name": r.name,
                    "role": r.role,
                    "party_ids": links.get(r.id, []),
                }
                for r in rows
            ]
        }

    @post("/{tenant:str}/users", opt={"permission": "core.users.manage"}, status_code=200)
    async def grant(self, db: AsyncSession, ctx: TenantContext, data: GrantIn) -> dict[str, Any]:
        """Give an existing user (by e-mail) a role here, optionally acting for a party."""
        user = await db.scalar(select(User).where(User.email == data.email.strip().lower()))
        if user is None:
            raise InvalidInput.field("email", "no user has that e-mail; create the user first")
        granted = await tenants.grant_role(
            db, user=user, role=data.role, party_id=data.party_id, actor_id=ctx.user_id, actor_role=ctx.role
        )
        await db.commit()
        return {"id": str(user.id), "email": user.email, "role": granted.role}

    @delete("/{tenant:str}/users/{user_id:uuid}", opt={"permission": "core.users.manage"}, status_code=204)
    async def revoke(self, db: AsyncSession, ctx: TenantContext, user_id: uuid.UUID) -> None:
        """Take a user's role here away."""
        await tenants.revoke_role(db, user_id, actor_id=ctx.user_id, actor_role=ctx.role)
        await db.commit()

    @get("/{tenant:str}/modules", opt={"permission": "core.tenant.view"})
    async def modules(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext
    ) -> dict[str, Any]:
        """Installed modules and whether each is on here."""
        enabled = await tenants.enabled_modules(db)
        return {
            "items": [
                {
                    "name": m.name,
                    "title": m.title,
                    "version": m.version,
                    "depends": list(m.depends),
                    "enabled": m.name in enabled,
                }
                for m in request.app.state.registry
            ]
        }

    @put("/{tenant:str}/modules/{name:str}", opt={"permission": "core.modules.manage"})
    async def enable(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, name: str
    ) -> dict[str, Any]:
        """Switch a module on (refused while a module it needs is off)."""
        await tenants.enable_module(db, request.app.state.registry, name, actor_id=ctx.user_id)
        await db.commit()
        return {"name": name, "enabled": True}

    @delete("/{tenant:str}/modules/{name:str}", opt={"permission": "core.modules.manage"}, status_code=200)
    async def disable(
        self, request: Request[Any, Any, Any], db: AsyncSession, ctx: TenantContext, name: str
    ) -> dict[str, Any]:
        """Switch a module off (refused while an enabled module needs it); its data stays."""
        await tenants.disable_module(db, request.app.state.registry, name, actor_id=ctx.user_id)
        await db.commit()
        return {"name": name, "enabled": False}

    @get("/{tenant:str}/membership-classes", opt={"permission": "core.parties.view"})
    async def classes(self, db: AsyncSession, ctx: TenantContext) -> dict[str, Any]:
        """Membership classes, with the defaults modules keep per class."""
        return {"items": [class_out(c) for c in await memberships.list_classes(db)]}

    @post("/{tenant:str}/membership-classes", opt={"permission": "core.parties.manage"}, status_code=201)
    async def create_class(
        self, db: AsyncSession, ctx: TenantContext, data: MembershipClassIn
    ) -> dict[str, Any]:
        """Add a membership class."""
        found = await memberships.create_class(
            db, code=data.code, name=data.name, description=data.description, defaults=data.defaults
        )
        await db.commit()
        return class_out(found)

    @get("/{tenant:str}/audit", opt={"permission": "core.audit.view"})
    async def audit(
        self,
        db: AsyncSession,
        ctx: TenantContext,
        object_type: str | None = None,
        object_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """The audit log, newest first; filter by object."""
        statement = select(AuditEntry)
        if object_type:
            statement = statement.where(AuditEntry.object_type == object_type)
        if object_id:
            statement = statement.where(AuditEntry.object_id == object_id)
        page = await paginate(
            db,
            statement,
            sort=AuditEntry.at,
            id_column=AuditEntry.id,
            limit=limit,
            cursor=cursor,
            descending=True,
        )
        return {"items": [_audit_out(e) for e in page.items], "next_cursor": page.next_cursor}


def _audit_out(entry: AuditEntry) -> dict[str, Any]:
    at: datetime = entry.at
    return {
        "id": str(entry.id),
        "at": at.isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "action": entry.action,
        "changes": entry.changes,
    }

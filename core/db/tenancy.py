"""Tenant scoping enforced by the session itself.

A ``TenantSession`` carries the current tenant in ``session.info["tenant_id"]``. Every ORM SELECT,
UPDATE and DELETE gets ``WHERE tenant_id = :tenant`` on every tenant-scoped entity it touches,
including joins, subqueries and relationship loads (``with_loader_criteria``). New rows are stamped
with the tenant; a row of another tenant cannot be added or moved. Without a tenant, touching a
tenant-scoped entity raises, unless the statement says ``all_tenants()`` - the one, greppable escape
hatch for platform code (CLI listings, login's list of a user's tenants).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.cache_key import HasCacheKey

from core.db.base import TenantScoped

__all__ = ["TenantScopeError", "TenantSession", "all_tenants", "current_tenant_id", "required_tenant_id"]

ALL_TENANTS = "coopstack_all_tenants"


class TenantScopeError(RuntimeError):
    """Code touched tenant-owned rows without saying which tenant (a programming error)."""


class TenantSession(Session):
    """The session class of every engine: scoping listeners are attached to it below."""


def all_tenants() -> dict[str, Any]:
    """Execution options that lift tenant scoping for one statement: platform code only."""
    return {ALL_TENANTS: True}


def current_tenant_id(session: Session | AsyncSession) -> uuid.UUID | None:
    value = session.info.get("tenant_id")
    return value if isinstance(value, uuid.UUID) else None


def required_tenant_id(session: Session | AsyncSession) -> uuid.UUID:
    """The session's tenant, for a statement that names it itself (and runs with ``all_tenants()``)."""
    tenant_id = current_tenant_id(session)
    if tenant_id is None:
        raise TenantScopeError("this is per tenant; the session has none")
    return tenant_id


def _touches_tenant_rows(state: ORMExecuteState) -> bool:
    """True if a tenant-scoped entity appears anywhere in the statement.

    ``all_mappers`` lists only the entities of the columns, so the statement is also walked: an entity
    named only in ``select_from``, a join, a subquery or ``exists()`` is found by its ORM annotation.
    """
    if any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers):
        return True
    statement = state.statement
    if not isinstance(statement, visitors.ExternallyTraversible):
        return False
    # The walk is the costly part; its answer depends only on the statement's shape, which SQLAlchemy
    # keys (and memoises) for its own compiled cache anyway.
    cache_key = statement._generate_cache_key() if isinstance(statement, HasCacheKey) else None
    if cache_key is not None and (known := _WALKED.get(cache_key.key)) is not None:
        return known
    found = False
    for element in visitors.iterate(statement):
        mapper = getattr(element, "_annotations", {}).get("parentmapper")
        if mapper is not None and issubclass(mapper.class_, TenantScoped):
            found = True
            break
    if cache_key is not None:
        if len(_WALKED) > 2000:
            _WALKED.clear()
        _WALKED[cache_key.key] = found
    return found


_WALKED: dict[object, bool] = {}


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria travel with the parent query's loader options
    if state.execution_options.get(ALL_TENANTS):
        return
    tenant_id = current_tenant_id(state.session)
    if tenant_id is None:
        if _touches_tenant_rows(state):
            raise TenantScopeError("a tenant-scoped query ran without a tenant; use all_tenants() on purpose")
        return
    state.statement = state.statement.options(_criteria_for(tenant_id))


_CRITERIA: dict[uuid.UUID, Any] = {}


def _criteria_for(tenant_id: uuid.UUID) -> Any:
    """The loader option that scopes a statement to ``tenant_id``, built once per tenant (options are
    immutable, and building one on every statement was a measurable part of a request)."""
    option = _CRITERIA.get(tenant_id)
    if option is None:
        if len(_CRITERIA) > 10_000:
            _CRITERIA.clear()
        option = with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
        _CRITERIA[tenant_id] = option
    return option


@event.listens_for(TenantSession, "before_flush")
def _stamp_tenant(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    tenant_id = current_tenant_id(session)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        row_tenant: uuid.UUID | None = getattr(obj, "tenant_id", None)
        if row_tenant is None:
            if tenant_id is None:
                raise TenantScopeError(f"new {type(obj).__name__} has no tenant and the session has none")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and row_tenant != tenant_id:
            raise TenantScopeError(f"a {type(obj).__name__} of another tenant cannot be added here")
    for obj in session.dirty:
        if isinstance(obj, TenantScoped) and tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantScopeError(f"a {type(obj).__name__} cannot move between tenants")

"""PostgreSQL row-level security: the second wall behind the ORM's tenant scoping.

``core.db.tenancy`` scopes every ORM statement to the session's tenant; a raw statement written by
mistake would not be. So on PostgreSQL every tenant-owned table (the table of every ``TenantScoped`` model,
the core's and every installed module's, found in the shared metadata) also carries a policy that shows a
connection only the rows of the tenant it named for its transaction, and no row when it named none.

``secure`` installs the policies; ``coop db upgrade`` runs it, as the tables' owner, after the
migrations, so a new module's tables are covered by the upgrade that creates them. The application
connects as another role (the owner is not bound by a policy, on purpose: migrations see every row).

The session names its tenant per transaction (``set_config(..., true)``, the transaction-local form
of ``SET LOCAL``), in one statement, before the first statement that needs it, and again only when
what it needs changes: the tenant (``session.info["tenant_id"]``, which a request sets after its
user lookup), or the ``all_tenants()`` escape of platform code (login's list of tenants, the
scheduler's tick, the CLI), which the policy honours through ``coopstack.all_tenants``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import MetaData, Table, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from core.db.base import Base, TenantScoped
from core.db.tenancy import ALL_TENANTS, TenantSession, current_tenant_id

__all__ = ["POLICY", "secure", "tenant_owned_tables", "unbound_reason"]

POLICY = "coopstack_tenant"
TENANT_SETTING = "coopstack.tenant_id"
ALL_TENANTS_SETTING = "coopstack.all_tenants"

# A setting never set reads as NULL (``missing_ok``), one set by an earlier transaction of the same
# connection reads as '': both mean no tenant, so no row.
_RULE = (
    f"tenant_id = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid"
    f" OR current_setting('{ALL_TENANTS_SETTING}', true) = 'on'"
)

_APPLY = text(
    f"SELECT set_config('{TENANT_SETTING}', :tenant, true), set_config('{ALL_TENANTS_SETTING}', :every, true)"
)

# What the session's current transaction has told the server: (tenant, all tenants), or UNKNOWN.
_APPLIED = "coopstack.row_security"
_UNKNOWN = object()
_NOTHING: tuple[uuid.UUID | None, bool] = (None, False)
_RESTORE = "coopstack.row_security.restore"


def tenant_owned_tables(metadata: MetaData) -> list[str]:
    """The tables of every ``TenantScoped`` model on ``metadata``, whichever module declared it."""
    names = set()
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if (
            issubclass(mapper.class_, TenantScoped)
            and isinstance(table, Table)
            and table.metadata is metadata
        ):
            names.add(table.name)
    return sorted(names)


def secure(connection: Connection, metadata: MetaData, app_role: str | None = None) -> list[str]:
    """Enable row-level security and the tenant policy on every tenant-owned table that exists, and
    give ``app_role`` (the role the servers connect as, when it is not this one) the rights to read
    and write every table. Idempotent: an upgrade runs it every time. Returns the tables secured."""
    if connection.dialect.name != "postgresql":
        return []
    present = set(
        connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
    )
    policies = set(
        connection.execute(
            text(
                "SELECT tablename FROM pg_policies WHERE policyname = :name AND schemaname = current_schema()"
            ),
            {"name": POLICY},
        ).scalars()
    )
    secured = [name for name in tenant_owned_tables(metadata) if name in present]
    for name in secured:
        table = connection.dialect.identifier_preparer.quote(name)
        connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        if name not in policies:
            connection.exec_driver_sql(f"CREATE POLICY {POLICY} ON {table} USING ({_RULE})")
    current_role = connection.execute(text("SELECT current_user")).scalar_one()
    if app_role and app_role != current_role:
        role = connection.dialect.identifier_preparer.quote(app_role)
        for grant in (
            "USAGE ON SCHEMA public",
            "SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public",
            "USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public",
        ):
            connection.exec_driver_sql(f"GRANT {grant} TO {role}")
    return secured


async def unbound_reason(engine: AsyncEngine) -> str | None:
    """Why the policies do not bind the role ``engine`` connects as (None when they do): PostgreSQL
    exempts superusers, roles with ``BYPASSRLS``, and the tables' owner."""
    async with engine.connect() as connection:
        role = (
            await connection.execute(
                text(
                    "SELECT r.rolname, r.rolsuper, r.rolbypassrls, EXISTS (SELECT 1 FROM pg_class c"
                    " WHERE c.relowner = r.oid AND c.relrowsecurity) FROM pg_roles r"
                    " WHERE r.rolname = current_user"
                )
            )
        ).one()
    name, superuser, bypass, owner = role
    if superuser:
        return f"the role {name} is a superuser"
    if bypass:
        return f"the role {name} has BYPASSRLS"
    if owner:
        return f"the role {name} owns the tenant-owned tables"
    return None


def _is_postgresql(session: Session) -> bool:
    bind = session.bind
    return bind is not None and bind.dialect.name == "postgresql"


def _apply(session: Session, wanted: tuple[uuid.UUID | None, bool]) -> None:
    """Tell the server ``wanted`` for the rest of the transaction, unless it knows already (one round
    trip, only when it changes)."""
    if session.info.get(_APPLIED, _UNKNOWN) == wanted:
        return
    connection = session.connection()  # begins the transaction: its after_begin resets what it knows
    if session.info.get(_APPLIED, _UNKNOWN) == wanted:
        return
    tenant, every = wanted
    connection.execute(_APPLY, {"tenant": str(tenant) if tenant else "", "every": "on" if every else "off"})
    session.info[_APPLIED] = wanted


@event.listens_for(TenantSession, "after_begin")
def _new_transaction(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    """A new transaction starts with neither setting."""
    session.info[_APPLIED] = _NOTHING


@event.listens_for(TenantSession, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    """The next transaction starts afresh, and a savepoint rolled back takes its settings with it:
    either way, ask again before the next statement."""
    session.info[_APPLIED] = _UNKNOWN


@event.listens_for(TenantSession, "do_orm_execute")
def _before_statement(state: ORMExecuteState) -> None:
    session = state.session
    if not _is_postgresql(session) or state.is_column_load or state.is_relationship_load:
        return  # a load follows its parent statement, in the same transaction
    tenant = current_tenant_id(session)
    _apply(session, (tenant, tenant is None and bool(state.execution_options.get(ALL_TENANTS))))


@event.listens_for(TenantSession, "before_flush")
def _before_flush(session: Session, flush_context: Any, instances: object) -> None:
    """A flush writes the session's tenant's rows. Platform code writing rows of a tenant it names
    (no tenant on the session) writes as that tenant, or as all tenants when the rows name several;
    the settings before the flush are restored after it, for the statement that caused it."""
    if not _is_postgresql(session):
        return
    tenant = current_tenant_id(session)
    if tenant is not None:
        _apply(session, (tenant, False))
        return
    named = {
        getattr(obj, "tenant_id", None)
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, TenantScoped)
    }
    if not named:
        return
    before = session.info.get(_APPLIED, _UNKNOWN)
    _apply(session, (named.pop(), False) if len(named) == 1 else (None, True))
    session.info[_RESTORE] = before if isinstance(before, tuple) else _NOTHING


@event.listens_for(TenantSession, "after_flush_postexec")
def _after_flush(session: Session, flush_context: Any) -> None:
    restore = session.info.pop(_RESTORE, None)
    if restore is not None:
        _apply(session, restore)

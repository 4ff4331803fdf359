"""PostgreSQL row-level security: a raw statement that forgets the tenant sees no tenant's rows.

The walk covers the table of every ``TenantScoped`` model, the core's and every installed module's,
so a new module's tables are covered without a test of their own. Two co-ops are filled through the
API, the services and each module's demo samples (as in ``test_tenant_isolation``); then raw SQL, as
the role the servers connect as, must see nothing without a tenant and only the named tenant's rows
with one. SQLite has no row-level security: there the ORM's scoping is the only wall.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import create_engine, select, text

from core.app import create_app
from core.db import migrate, row_security
from core.db.base import Base
from core.db.engine import Database
from core.db.tenancy import all_tenants
from core.models import MembershipClass
from core.registry import ModuleRegistry
from core.settings import Settings
from tests.conftest import APP_ROLE, World, owner_url
from tests.core.test_tenant_isolation import fill, tenant_scoped_tables


def postgresql_only(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("row-level security is PostgreSQL's; SQLite keeps the ORM's scoping alone")


async def test_raw_sql_sees_no_tenants_rows_without_a_tenant_and_only_its_own_with_one(
    client: AsyncTestClient[Litestar], world: World, registry: ModuleRegistry, database: Database
) -> None:
    postgresql_only(database)
    tables = row_security.tenant_owned_tables(Base.metadata)
    assert set(tables) == tenant_scoped_tables()
    a, b = await world.coop(), await world.coop()
    for coop in (a, b):
        await fill(client, world, registry, coop)

    for name in tables:
        count = text(f'SELECT count(*) FROM "{name}"')  # noqa: S608 - names from the metadata
        of_tenant = text(f'SELECT count(*) FROM "{name}" WHERE tenant_id = :tenant')  # noqa: S608
        # Raw, on the servers' role, nothing set: no row of any tenant.
        async with database.read_engine.connect() as connection:
            assert await connection.scalar(count) == 0, f"{name}: a raw statement sees rows without a tenant"
        # Through a session without a tenant: the same.
        async with database.session(write=False) as session:
            assert await session.scalar(count) == 0, f"{name}: a session without a tenant sees rows"
        # Through a session of tenant A: A's rows only, even when B's are asked for by name.
        async with database.session(write=False, tenant_id=a.id) as session:
            own = await session.scalar(count)
            assert own, f"{name}: tenant A sees none of its own rows"
            assert await session.scalar(of_tenant, {"tenant": b.id}) == 0, f"{name}: A sees B's rows"
            assert await session.scalar(of_tenant, {"tenant": a.id}) == own
        # Raw, with tenant B named for the transaction: B's rows only.
        async with database.read_engine.connect() as connection:
            await connection.execute(
                text("SELECT set_config('coopstack.tenant_id', :t, true)"), {"t": str(b.id)}
            )
            assert await connection.scalar(of_tenant, {"tenant": a.id}) == 0, f"{name}: B sees A's rows"
            assert await connection.scalar(count) == await connection.scalar(of_tenant, {"tenant": b.id})
            assert await connection.scalar(count), f"{name}: tenant B sees none of its own rows"


async def test_a_raw_write_cannot_reach_another_tenants_rows(world: World, database: Database) -> None:
    postgresql_only(database)
    a, b = await world.coop(), await world.coop()
    async with database.transaction(tenant_id=a.id) as session:
        moved = await session.execute(
            text("UPDATE tenant_user SET role = 'viewer' WHERE tenant_id = :b"), {"b": b.id}
        )
        assert moved.rowcount == 0  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="row-level security"):
            async with session.begin_nested():
                await session.execute(
                    text(
                        "INSERT INTO tenant_user (tenant_id, user_id, role, created_at)"
                        " VALUES (:b, :u, 'owner', now())"
                    ),
                    {"b": b.id, "u": a.owner.id},
                )
    async with database.session(write=False, tenant_id=b.id) as session:
        roles = (await session.scalars(text("SELECT role FROM tenant_user"))).all()
    assert roles == ["owner"]


async def test_platform_code_writing_a_tenants_row_still_reads_across_tenants(
    world: World, database: Database
) -> None:
    """A flush in a session without a tenant writes as the rows' tenant; the statement that caused it
    (an autoflush) then runs with the settings it asked for, here across tenants."""
    postgresql_only(database)
    a, b = await world.coop(), await world.coop()
    async with database.transaction() as session:
        session.add(MembershipClass(tenant_id=a.id, code="supporter", name="Supporters"))
        every = select(MembershipClass.tenant_id).execution_options(**all_tenants())
        seen = set((await session.scalars(every)).all())  # flushes the new class first
        assert {a.id, b.id} <= seen
    async with database.session(write=False, tenant_id=a.id) as session:
        codes = set((await session.scalars(select(MembershipClass.code))).all())
    assert "supporter" in codes


def test_the_servers_role_is_bound_and_the_upgrade_secures_every_tenant_owned_table(
    database_url: str, registry: ModuleRegistry
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("row-level security is PostgreSQL's")
    tables = row_security.tenant_owned_tables(Base.metadata)
    # Again, as an upgrade after the next release would: nothing changes, nothing fails.
    migrate.upgrade(owner_url(database_url), registry, app_role=APP_ROLE)
    engine = create_engine(migrate.sync_url(database_url))
    try:
        with engine.connect() as connection:
            role = connection.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            ).one()
            assert tuple(role) == (False, False)
            rows = connection.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, pg_get_userbyid(c.relowner) = current_user,"
                    " (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname)"
                    " FROM pg_class c WHERE c.relname = ANY(:names) AND c.relkind = 'r'"
                ),
                {"names": tables},
            ).all()
    finally:
        engine.dispose()
    assert {row[0] for row in rows} == set(tables)
    for name, secured, owned, policies in rows:
        assert secured, f"{name}: row-level security is off"
        assert not owned, f"{name}: the servers' role owns it, so no policy binds it"
        assert policies == 1, f"{name}: {policies} policies"


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_a_server_connecting_as_the_tables_owner_says_the_policies_do_not_bind_it(
    database_url: str, registry: ModuleRegistry, settings: Settings
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("row-level security is PostgreSQL's")
    logger = logging.getLogger("coopstack.database")
    for url, warned in ((owner_url(database_url), True), (database_url, False)):
        said = _Said()  # the app's logging configuration routes records its own way: listen at the source
        logger.addHandler(said)
        try:
            async with AsyncTestClient(app=create_app(replace(settings, database_url=url), registry)):
                pass
        finally:
            logger.removeHandler(said)
        bound = [m for m in said.messages if "row-level security does not bind" in m]
        assert bool(bound) == warned, (url, said.messages)
        if warned:
            assert "is a superuser" in bound[0]  # the suite's owner is PostgreSQL's superuser

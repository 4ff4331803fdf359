"""No tenant can see another tenant's rows, in any tenant-owned table, core or module.

The walk covers every mapped class that is ``TenantScoped`` (the core's and every installed module's).
Two co-ops are filled through the API and the services, the way real co-ops fill an install, and each
module's tables through the module contract (its ``demo`` samples, then a run of its daily jobs), until
every tenant-owned table holds rows of both; then a session scoped to one co-op must see only its own
rows, even when a query names the other co-op on purpose. A schema check proves that every tenant-owned
key leads with ``tenant_id`` and that no foreign key can point into another tenant.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Mapper

import core.models  # noqa: F401 - the core's tables on the shared metadata
from core import demo, tenants
from core.db import migrate
from core.db.base import Base, TenantScoped
from core.db.engine import Database
from core.db.tenancy import all_tenants
from core.mail_quota import take_quota
from core.models import Tenant
from core.module import DailyJob, Module
from core.registry import ModuleRegistry
from core.scheduler import run_due_jobs
from core.settings import Settings
from tests.conftest import Coop, World

ALLOWED_EMPTY: dict[str, str] = {}
"""Tenant-owned tables this test may leave empty, with the reason (none today)."""


async def _nothing(*_: object) -> None:
    return None


NOOP = DailyJob("noop", _nothing)


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        return "250 OK"


@contextmanager
def mail_server() -> Iterator[int]:
    """An SMTP server that takes every mail (the daily jobs' reminders); yields its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = Controller(_Sink(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield port
    finally:
        server.stop()


def tenant_scoped_mappers() -> list[Mapper[TenantScoped]]:
    found = [m for m in Base.registry.mappers if issubclass(m.class_, TenantScoped)]
    return sorted(found, key=lambda m: m.class_.__name__)


def tenant_scoped_tables() -> set[str]:
    return {m.local_table.name for m in tenant_scoped_mappers()}  # type: ignore[attr-defined]


async def fill(client: AsyncTestClient[Litestar], world: World, registry: ModuleRegistry, coop: Coop) -> None:
    """Rows in every tenant-owned table of ``coop``, through the API and the services."""
    headers = coop.owner.headers
    # tenant_module: every installed module switched on (before the admission below, so modules that
    # react to it do); with none installed, a module of this test's own, switched on by the service.
    if list(registry):
        for module in registry:
            answer = await client.put(f"{coop.api}/modules/{module.name}", headers=headers)
            assert answer.status_code == 200, answer.text
    else:
        probe = ModuleRegistry.of([Module(name="probe", title="Probe", version="1")])
        async with world.database.transaction(tenant_id=coop.id) as session:
            await tenants.enable_module(session, probe, "probe", actor_id=coop.owner.id)
    # membership_class: the default one comes with the co-op; add another.
    answer = await client.post(
        f"{coop.api}/membership-classes", json={"code": "worker", "name": "Worker members"}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    # party, membership, sequence_counter (the member number), audit_entry.
    party = await client.post(f"{coop.api}/parties", json={"kind": "person", "name": "Ada"}, headers=headers)
    assert party.status_code == 201, party.text
    party_id = uuid.UUID(party.json()["id"])
    membership = await client.post(
        f"{coop.api}/memberships", json={"party_id": str(party_id), "status": "active"}, headers=headers
    )
    assert membership.status_code == 201, membership.text
    # tenant_user and party_link: a member user acting for the party.
    await world.join(coop, "member", party_id=party_id)
    # mail_quota: the count of the co-op's mail recipients.
    await take_quota(world.database, Settings(), coop.id, 1)
    # Every module's tables, through the module contract: the demo co-op's legal details and member
    # businesses, each module's samples (``Module.demo``), then one run of each module's daily jobs.
    today = datetime.now(UTC).date()
    async with world.database.transaction(tenant_id=coop.id) as session:
        tenant = await session.get_one(Tenant, coop.id)
        await tenants.update_tenant(session, tenant, demo.LEGAL_DETAILS, actor_id=None)
        await demo.add_members(session)
        enabled = await tenants.enabled_modules(session)
        assert await demo.add_samples(session, registry, enabled, today) == []
    with mail_server() as port:
        mailing = Settings(smtp_host="127.0.0.1", smtp_port=port)
        report = await run_due_jobs(world.database, registry, mailing, only=coop.id)
    assert not report.failed, report.failed
    # job_run: one daily job of a module of this test's own, run by the scheduler for this co-op.
    scheduled = ModuleRegistry.of([Module(name="daily", title="Daily", version="1", daily_jobs=(NOOP,))])
    async with world.database.transaction(tenant_id=coop.id) as session:
        await tenants.enable_module(session, scheduled, "daily", actor_id=coop.owner.id)
    report = await run_due_jobs(world.database, scheduled, Settings(), only=coop.id)
    assert report.ran == [(coop.slug, "daily.noop")]


async def test_a_tenant_sees_none_of_another_tenants_rows_in_any_table(
    client: AsyncTestClient[Litestar], world: World, registry: ModuleRegistry, database: Database
) -> None:
    mappers = tenant_scoped_mappers()
    assert {"tenant_user", "party", "membership", "audit_entry"} <= tenant_scoped_tables()
    a, b = await world.coop(), await world.coop()
    for coop in (a, b):
        await fill(client, world, registry, coop)

    empty = []
    for mapper in mappers:
        model = mapper.class_
        name = mapper.local_table.name  # type: ignore[attr-defined]
        async with database.session(write=False) as platform:
            counts = {
                coop.slug: await platform.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.tenant_id == coop.id)
                    .execution_options(**all_tenants())
                )
                for coop in (a, b)
            }
            a_key = (
                await platform.execute(
                    select(*mapper.primary_key)
                    .where(model.tenant_id == a.id)
                    .execution_options(**all_tenants())
                )
            ).first()
        if not all(counts.values()):
            empty.append(name)
            continue
        async with database.session(write=False, tenant_id=b.id) as session:
            seen = (await session.scalars(select(model))).all()
            assert seen, f"{name}: tenant B sees none of its own rows"
            assert {row.tenant_id for row in seen} == {b.id}, f"{name}: tenant B sees another tenant's rows"
            assert len(seen) == counts[b.slug], name
            asked_for_a = (await session.scalars(select(model).where(model.tenant_id == a.id))).all()
            assert asked_for_a == [], f"{name}: tenant B reads tenant A's rows by asking for them"
            assert a_key is not None
            assert await session.get(model, tuple(a_key)) is None, f"{name}: tenant B loads A's row by key"
            counted = await session.scalar(select(func.count()).select_from(model))
            assert counted == counts[b.slug], f"{name}: tenant B counts other tenants' rows"
    unexpected = sorted(set(empty) - set(ALLOWED_EMPTY))
    assert not unexpected, (
        f"no rows could be made in {unexpected}: the module's demo samples (Module.demo) should fill them"
    )


def test_every_tenant_owned_table_keys_and_references_by_tenant(database_url: str) -> None:
    scoped = tenant_scoped_tables()
    # Declared: the models.
    for name in sorted(scoped):
        table = Base.metadata.tables[name]
        key = [c.name for c in table.primary_key.columns]
        assert key[:1] == ["tenant_id"], f"{name}: its key {key} must lead with tenant_id"
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name not in scoped:
                continue
            pairs = {e.parent.name: e.column.name for e in fk.elements}
            assert pairs.get("tenant_id") == "tenant_id", (
                f"{name}: foreign key to {fk.referred_table.name} must include tenant_id"
            )
    # Every table that carries a tenant_id is scoped by the data layer.
    carrying = {t.name for t in Base.metadata.tables.values() if "tenant_id" in t.columns}
    assert carrying == scoped, f"tables with tenant_id but no TenantScoped model: {carrying - scoped}"
    # Built: the migrated database says the same.
    engine = create_engine(migrate.sync_url(database_url))
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            for name in sorted(scoped):
                built = inspector.get_pk_constraint(name)["constrained_columns"]
                assert built[:1] == ["tenant_id"], f"{name}: the database's key is {built}"
                for fk in inspector.get_foreign_keys(name):
                    if fk["referred_table"] not in scoped:
                        continue
                    pairs = dict(zip(fk["constrained_columns"], fk["referred_columns"], strict=True))
                    assert pairs.get("tenant_id") == "tenant_id", f"{name}: {fk} can cross tenants"
    finally:
        engine.dispose()

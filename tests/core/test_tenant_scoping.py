"""Tenant scoping by the session itself: a session of tenant B neither sees nor changes tenant A's rows,
whatever shape the query takes, and a session without a tenant refuses tenant rows unless told."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import aliased

from core import memberships, parties
from core.db.engine import Database
from core.db.tenancy import TenantScopeError, all_tenants
from core.models import AuditEntry, Membership, Party
from tests.conftest import World


@dataclass(frozen=True)
class Tenant:
    id: uuid.UUID
    party_id: uuid.UUID
    membership_id: uuid.UUID


@dataclass(frozen=True)
class Pair:
    a: Tenant
    b: Tenant


async def populate(database: Database, tenant_id: uuid.UUID, name: str) -> Tenant:
    async with database.transaction(tenant_id=tenant_id) as session:
        party = await parties.create_party(session, {"kind": "organisation", "name": name}, actor_id=None)
        membership = await memberships.create_membership(
            session, party_id=party.id, class_code=None, status="active", on=date(2026, 1, 1), actor_id=None
        )
    return Tenant(tenant_id, party.id, membership.id)


@pytest.fixture
async def pair(database: Database, world: World) -> Pair:
    first, second = await world.coop(), await world.coop()
    return Pair(await populate(database, first.id, "Alpha"), await populate(database, second.id, "Beta"))


async def name_of(database: Database, tenant: Tenant) -> str | None:
    async with database.transaction(tenant_id=tenant.id) as session:
        return await session.scalar(select(Party.name).where(Party.id == tenant.party_id))


async def test_select_sees_only_the_sessions_tenant(database: Database, pair: Pair) -> None:
    async with database.transaction(tenant_id=pair.b.id) as session:
        assert (await session.scalars(select(Party.name))).all() == ["Beta"]
        assert await session.scalar(select(Party).where(Party.id == pair.a.party_id)) is None
        assert await session.scalar(select(Party.id).where(Party.tenant_id == pair.a.id)) is None
        assert await session.scalar(select(func.count()).select_from(Party)) == 1
        assert await session.scalar(select(func.count(Party.id))) == 1
        assert await session.scalar(select(exists().where(Party.id == pair.a.party_id))) is False
        # Explicitly naming A's tenant does not widen the scope: both criteria apply.
        assert (await session.scalars(select(Party).where(Party.tenant_id == pair.a.id))).all() == []


async def test_joins_and_subqueries_are_scoped(database: Database, pair: Pair) -> None:
    async with database.transaction(tenant_id=pair.b.id) as session:
        joined = await session.execute(
            select(Membership.id, Party.name).join(Party, Party.id == Membership.party_id)
        )
        assert [name for _, name in joined.all()] == ["Beta"]
        # A join that would pair B's membership with A's party by a forged condition finds nothing.
        forged = await session.execute(
            select(Membership.id, Party.name).join(Party, Party.id == pair.a.party_id)
        )
        assert forged.all() == []
        other = aliased(Party)
        self_join = await session.execute(select(Party.name, other.name).join(other, other.id != Party.id))
        assert self_join.all() == []
        in_subquery = await session.scalars(
            select(Party.name).where(Party.id.in_(select(Membership.party_id)))
        )
        assert in_subquery.all() == ["Beta"]
        everything = select(Party.id).subquery()
        assert await session.scalar(select(func.count()).select_from(everything)) == 1
        correlated = await session.scalars(
            select(Membership.id).where(
                exists().where(Party.id == Membership.party_id, Party.name == "Alpha")
            )
        )
        assert correlated.all() == []


async def test_get_of_another_tenants_key_finds_nothing(database: Database, pair: Pair) -> None:
    async with database.transaction(tenant_id=pair.b.id) as session:
        assert await session.get(Party, (pair.a.id, pair.a.party_id)) is None
        assert await session.get(Membership, (pair.a.id, pair.a.membership_id)) is None
        assert await session.get(Party, (pair.b.id, pair.b.party_id)) is not None


async def test_update_and_delete_through_b_leave_a_untouched(database: Database, pair: Pair) -> None:
    async with database.transaction(tenant_id=pair.b.id) as session:
        targeted = await session.execute(
            update(Party).where(Party.id == pair.a.party_id).values(name="Overwritten")
        )
        assert targeted.rowcount == 0  # type: ignore[attr-defined]
        broad = await session.execute(update(Party).values(notes="touched"))
        assert broad.rowcount == 1  # type: ignore[attr-defined]
        deleted = await session.execute(
            delete(AuditEntry).where(AuditEntry.object_id == str(pair.a.party_id))
        )
        assert deleted.rowcount == 0  # type: ignore[attr-defined]
        gone = await session.execute(delete(Membership).where(Membership.id == pair.a.membership_id))
        assert gone.rowcount == 0  # type: ignore[attr-defined]
    assert await name_of(database, pair.a) == "Alpha"
    async with database.transaction(tenant_id=pair.a.id) as session:
        party = await session.get_one(Party, (pair.a.id, pair.a.party_id))
        assert party.notes == ""
        assert await session.get(Membership, (pair.a.id, pair.a.membership_id)) is not None
        assert await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.object_id == str(pair.a.party_id))
        )
    async with database.transaction(tenant_id=pair.b.id) as session:
        assert await session.scalar(select(Party.notes)) == "touched"


async def test_a_row_of_another_tenant_cannot_be_added(database: Database, pair: Pair) -> None:
    with pytest.raises(TenantScopeError):
        async with database.transaction(tenant_id=pair.b.id) as session:
            session.add(Party(tenant_id=pair.a.id, kind="person", name="Planted"))
            await session.flush()
    async with database.transaction(tenant_id=pair.a.id) as session:
        assert (await session.scalars(select(Party.name))).all() == ["Alpha"]


async def test_a_row_cannot_move_to_another_tenant(database: Database, pair: Pair) -> None:
    with pytest.raises(TenantScopeError):
        async with database.transaction(tenant_id=pair.a.id) as session:
            party = await session.get_one(Party, (pair.a.id, pair.a.party_id))
            party.tenant_id = pair.b.id
            await session.flush()
    assert await name_of(database, pair.a) == "Alpha"


async def test_new_rows_are_stamped_with_the_sessions_tenant(database: Database, pair: Pair) -> None:
    async with database.transaction(tenant_id=pair.b.id) as session:
        party = Party(kind="person", name="Stamped")
        session.add(party)
        await session.flush()
        assert party.tenant_id == pair.b.id


async def test_a_session_without_a_tenant_refuses_tenant_rows(database: Database, pair: Pair) -> None:
    async with database.transaction() as session:
        for statement in (
            select(Party),
            select(Party.name),
            select(func.count()).select_from(Party),
            select(func.count()).select_from(select(Party.id).subquery()),
            select(exists().where(Party.name == "Alpha")),
            select(Membership).join(Party, Party.id == Membership.party_id),
            update(Party).values(notes="x"),
            delete(Membership),
        ):
            with pytest.raises(TenantScopeError):
                await session.execute(statement)
        with pytest.raises(TenantScopeError):
            await session.get(Party, (pair.a.id, pair.a.party_id))
    with pytest.raises(TenantScopeError):
        async with database.transaction() as session:
            session.add(Party(kind="person", name="Nobody's"))
            await session.flush()


async def test_all_tenants_lifts_the_scope_for_one_statement(database: Database, pair: Pair) -> None:
    async with database.transaction() as session:
        ours = [pair.a.party_id, pair.b.party_id]
        names = await session.scalars(
            select(Party.name)
            .where(Party.id.in_(ours))
            .order_by(Party.name)
            .execution_options(**all_tenants())
        )
        assert names.all() == ["Alpha", "Beta"]
        with pytest.raises(TenantScopeError):  # the next statement is scoped again
            await session.scalars(select(Party.name).where(Party.id.in_(ours)))

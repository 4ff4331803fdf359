"""In-transaction events: a handler's writes commit or roll back with the change that caused them,
and a handler that fails undoes the whole change."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit, events, memberships, parties
from core.db.engine import Database
from core.models import AuditEntry, Membership, SequenceCounter
from tests.conftest import World

ACTIVATED = "membership.activated"
TODAY = date(2026, 3, 1)

Handler = Callable[[AsyncSession, Any], Awaitable[None]]


class Boom(Exception):
    """A handler's failure."""


@asynccontextmanager
async def subscribed(name: str, handler: Handler) -> AsyncIterator[None]:
    events.bus().subscribe(name, handler)
    try:
        yield
    finally:
        events.bus().unsubscribe(name, handler)


async def applicant(database: Database, tenant_id: uuid.UUID) -> uuid.UUID:
    """A party with a membership application, committed; returns the membership's id."""
    async with database.transaction(tenant_id=tenant_id) as session:
        party = await parties.create_party(session, {"kind": "person", "name": "Applicant"}, actor_id=None)
        membership = await memberships.create_membership(
            session, party_id=party.id, class_code=None, status="applicant", on=TODAY, actor_id=None
        )
        return membership.id


async def reactions(database: Database, tenant_id: uuid.UUID, membership_id: uuid.UUID) -> list[str]:
    async with database.transaction(tenant_id=tenant_id) as session:
        rows = await session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "welcome", AuditEntry.object_id == str(membership_id)
            )
        )
        return list(rows.all())


async def state(database: Database, tenant_id: uuid.UUID, membership_id: uuid.UUID) -> Membership:
    async with database.transaction(tenant_id=tenant_id) as session:
        return await memberships.get_membership(session, membership_id)


async def welcome(session: AsyncSession, event: events.Event) -> None:
    """A module's reaction: it writes through the session it is given."""
    await audit.record(
        session,
        actor_id=None,
        object_type="welcome",
        object_id=event.payload["membership_id"],
        action=f"welcomed from {event.payload['previous_status']}",
    )
    await session.flush()


async def test_a_handler_writes_in_the_transaction_of_the_cause(database: Database, world: World) -> None:
    coop = await world.coop()
    membership_id = await applicant(database, coop.id)
    sessions: list[AsyncSession] = []

    async def handler(session: AsyncSession, event: events.Event) -> None:
        sessions.append(session)
        await welcome(session, event)

    async with subscribed(ACTIVATED, handler), database.transaction(tenant_id=coop.id) as session:
        await memberships.change_membership_status(session, membership_id, "active", on=TODAY, actor_id=None)
        assert sessions == [session]  # the caller's own session, before it commits
        assert session.in_transaction()
    assert await reactions(database, coop.id, membership_id) == ["welcomed from applicant"]
    assert (await state(database, coop.id, membership_id)).status == "active"


async def test_the_handlers_write_rolls_back_with_the_cause(database: Database, world: World) -> None:
    coop = await world.coop()
    membership_id = await applicant(database, coop.id)

    class Abandon(Exception):
        pass

    async with subscribed(ACTIVATED, welcome):
        with pytest.raises(Abandon):
            async with database.transaction(tenant_id=coop.id) as session:
                await memberships.change_membership_status(
                    session, membership_id, "active", on=TODAY, actor_id=None
                )
                assert await session.scalar(
                    select(AuditEntry.id).where(AuditEntry.object_type == "welcome")
                ), "the handler wrote inside the transaction"
                raise Abandon
    assert await reactions(database, coop.id, membership_id) == []
    membership = await state(database, coop.id, membership_id)
    assert membership.status == "applicant" and membership.number is None


async def test_a_failing_handler_undoes_the_whole_change(database: Database, world: World) -> None:
    coop = await world.coop()
    membership_id = await applicant(database, coop.id)

    async def failing(session: AsyncSession, event: events.Event) -> None:
        raise Boom("the welcome pack could not be prepared")

    async with subscribed(ACTIVATED, welcome), subscribed(ACTIVATED, failing):
        with pytest.raises(Boom):
            async with database.transaction(tenant_id=coop.id) as session:
                await memberships.change_membership_status(
                    session, membership_id, "active", on=TODAY, actor_id=None
                )
    membership = await state(database, coop.id, membership_id)
    assert membership.status == "applicant"
    assert membership.number is None and membership.joined_on is None
    assert await reactions(database, coop.id, membership_id) == []  # the handler before it is undone too
    async with database.transaction(tenant_id=coop.id) as session:
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(membership_id)))
        ).all()
        counter = await session.scalar(
            select(SequenceCounter.value).where(SequenceCounter.series == memberships.MEMBER_SERIES)
        )
    assert list(actions) == ["create"]  # no "active" entry survived
    assert counter in (None, 0)  # the member number went back too
    # Once the handler is gone, the same change goes through and takes number 1.
    async with database.transaction(tenant_id=coop.id) as session:
        admitted = await memberships.change_membership_status(
            session, membership_id, "active", on=TODAY, actor_id=None
        )
        assert admitted.number == "M00001"


async def test_unsubscribed_handlers_are_not_called(database: Database, world: World) -> None:
    coop = await world.coop()
    membership_id = await applicant(database, coop.id)
    calls: list[str] = []

    async def handler(session: AsyncSession, event: events.Event) -> None:
        calls.append(event.name)

    async with subscribed(ACTIVATED, handler):
        pass
    async with database.transaction(tenant_id=coop.id) as session:
        await memberships.change_membership_status(session, membership_id, "active", on=TODAY, actor_id=None)
    assert calls == []


async def test_handlers_see_only_their_event(database: Database, world: World) -> None:
    coop = await world.coop()
    seen: list[tuple[str, Any]] = []

    async def handler(session: AsyncSession, event: events.Event) -> None:
        seen.append((event.name, event.payload.get("previous_status")))

    async with (
        subscribed(ACTIVATED, handler),
        subscribed("membership.suspended", handler),
        database.transaction(tenant_id=coop.id) as session,
    ):
        party = await parties.create_party(session, {"kind": "person", "name": "Cycle"}, actor_id=None)
        membership = await memberships.create_membership(
            session, party_id=party.id, class_code=None, status="active", on=TODAY, actor_id=None
        )
        await memberships.change_membership_status(
            session, membership.id, "suspended", on=TODAY, actor_id=None
        )
        await memberships.change_membership_status(session, membership.id, "left", on=TODAY, actor_id=None)
    assert seen == [(ACTIVATED, "applicant"), ("membership.suspended", "active")]

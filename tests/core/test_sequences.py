"""Gapless numbering: consecutive, per tenant, per year where asked, and without holes or duplicates
when transactions roll back or run concurrently (on every backend)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from core import audit, sequences
from core.db.engine import Database
from core.db.tenancy import TenantScopeError
from core.errors import InvalidInput
from core.models import AuditEntry, Party, SequenceCounter
from tests.conftest import World

TODAY = date(2026, 3, 7)


class Rollback(Exception):
    """Raised on purpose inside a unit of work to roll it back."""


async def allocate(database: Database, tenant_id: uuid.UUID, series: str, *, on: date, per_year: bool) -> str:
    async with database.transaction(tenant_id=tenant_id) as session:
        return await sequences.next_number(
            session, series, "INV-{year}-{number:05d}", on=on, per_year=per_year
        )


async def test_numbers_are_consecutive(database: Database, world: World) -> None:
    coop = await world.coop()
    async with database.transaction(tenant_id=coop.id) as session:
        values = [await sequences.next_value(session, "invoice") for _ in range(3)]
    async with database.transaction(tenant_id=coop.id) as session:
        values.append(await sequences.next_value(session, "invoice"))
    assert values == [1, 2, 3, 4]


async def test_series_and_tenants_count_separately(database: Database, world: World) -> None:
    first, second = await world.coop(), await world.coop()
    async with database.transaction(tenant_id=first.id) as session:
        assert [await sequences.next_value(session, "invoice") for _ in range(2)] == [1, 2]
        assert await sequences.next_value(session, "credit-note") == 1
    async with database.transaction(tenant_id=second.id) as session:
        assert await sequences.next_value(session, "invoice") == 1


async def test_per_year_series_restart_at_one_each_year(database: Database, world: World) -> None:
    coop = await world.coop()
    numbers = [
        await allocate(database, coop.id, "invoice", on=on, per_year=True)
        for on in (
            date(2025, 12, 30),
            date(2025, 12, 31),
            date(2026, 1, 1),
            date(2026, 1, 2),
            date(2025, 6, 1),
        )
    ]
    assert numbers == [
        "INV-2025-00001",
        "INV-2025-00002",
        "INV-2026-00001",
        "INV-2026-00002",
        "INV-2025-00003",
    ]
    # The same series without a period is a counter of its own.
    assert (
        await allocate(database, coop.id, "invoice", on=date(2026, 3, 1), per_year=False) == "INV-2026-00001"
    )


def test_patterns_are_filled_and_bad_patterns_refused() -> None:
    on = date(2026, 3, 7)
    assert sequences.format_number("INV-{year}-{number:05d}", number=42, on=on) == "INV-2026-00042"
    assert sequences.format_number("{year}/{month}/{number}", number=7, on=on) == "2026/03/7"
    assert sequences.format_number("M{number:05d}", number=123456, on=on) == "M123456"
    assert sequences.format_number("RE #{year} {number:03d}", number=9, on=on) == "RE #2026 009"
    for bad in (
        "{nmber}",
        "{number:05q}",
        "{0}",
        "{number",
        "INV-{year}-{number:>20000000}",  # a width that would fill a worker's memory
        "INV-{number:011d}",  # 11 digits: more than anyone numbers
        "INV-{number.__class__}",  # attribute access inside the pattern
        'INV"; filename=evil-{number}',  # quotes and semicolons end up in headers
        "{number}-{number}",
        "INV-{year}",
        "X" * 55 + "{number}",  # past 60 characters
    ):
        with pytest.raises(InvalidInput) as caught:
            sequences.format_number(bad, number=1, on=on)
        assert caught.value.errors[0]["field"] == "pattern"


async def test_a_rolled_back_transaction_leaves_no_hole(database: Database, world: World) -> None:
    coop = await world.coop()
    assert (
        await allocate(database, coop.id, "invoice", on=date(2026, 1, 5), per_year=False) == "INV-2026-00001"
    )
    with pytest.raises(Rollback):
        async with database.transaction(tenant_id=coop.id) as session:
            assert await sequences.next_value(session, "invoice") == 2
            raise Rollback
    assert (
        await allocate(database, coop.id, "invoice", on=date(2026, 1, 5), per_year=False) == "INV-2026-00002"
    )


async def test_the_first_allocation_rolled_back_leaves_no_counter(database: Database, world: World) -> None:
    coop = await world.coop()
    with pytest.raises(Rollback):
        async with database.transaction(tenant_id=coop.id) as session:
            await sequences.next_value(session, "fresh")
            raise Rollback
    async with database.transaction(tenant_id=coop.id) as session:
        assert await session.scalar(select(SequenceCounter).where(SequenceCounter.series == "fresh")) is None
        assert await sequences.next_value(session, "fresh") == 1


async def test_numbering_needs_a_tenant(database: Database) -> None:
    async with database.transaction() as session:
        with pytest.raises(TenantScopeError):
            await sequences.next_value(session, "invoice")


@pytest.mark.parametrize("allocator", ["next_value", "assign_number"])
async def test_concurrent_allocations_with_rollbacks_are_gapless(
    database: Database, world: World, allocator: str
) -> None:
    """16 workers x 25 units of work, every tenth rolled back after taking its number: the committed
    numbers, recorded by a party created in the same transaction (or written to it by
    ``assign_number``), are exactly 1..N."""
    coop = await world.coop()
    workers, rounds = 16, 25
    committed: list[int] = []
    rolled_back = 0

    async def worker(w: int) -> None:
        nonlocal rolled_back
        for r in range(rounds):
            fail = (w * rounds + r) % 10 == 3
            try:
                async with database.transaction(tenant_id=coop.id) as session:
                    if allocator == "next_value":
                        value = await sequences.next_value(session, "concurrent")
                        session.add(Party(kind="organisation", name=f"{value}"))
                        await session.flush()
                    else:
                        party = Party(kind="organisation", name="unnumbered")
                        session.add(party)
                        await session.flush()
                        name = await sequences.assign_number(
                            session, party, Party.name, "concurrent", "{number}", on=TODAY, per_year=False
                        )
                        value = int(name)
                    if fail:
                        raise Rollback
            except Rollback:
                rolled_back += 1
                continue
            committed.append(value)  # only after a successful commit

    await asyncio.gather(*(worker(w) for w in range(workers)))

    expected = workers * rounds - rolled_back
    assert rolled_back == workers * rounds // 10
    assert sorted(committed) == list(range(1, expected + 1))
    async with database.transaction(tenant_id=coop.id) as session:
        names = (await session.scalars(select(Party.name))).all()
        counter = await session.scalar(
            select(SequenceCounter.value).where(SequenceCounter.series == "concurrent")
        )
    assert sorted(int(name) for name in names) == list(range(1, expected + 1))
    assert counter == expected


@pytest.mark.parametrize(
    ("pattern", "start", "expected"),
    [
        ("INV-{year}-{number:05d}", 0, ["INV-2026-00001", "INV-2026-00002"]),
        ("{year}/{month}/{number}", 8, ["2026/03/9", "2026/03/10"]),
        ("M{number:03d}", 998, ["M999", "M1000"]),  # more digits than the width: nothing cut
        ("N_{number:010d}.{month}", 0, ["N_0000000001.03", "N_0000000002.03"]),
    ],
)
async def test_assigned_numbers_follow_the_pattern(
    database: Database, world: World, pattern: str, start: int, expected: list[str]
) -> None:
    """``assign_number`` writes what ``format_number`` would, whether the database pads the number
    (PostgreSQL, in the statement that takes it) or Python does."""
    coop = await world.coop()
    async with database.transaction(tenant_id=coop.id) as session:
        if start:
            session.add(SequenceCounter(series="patterned", period="", value=start))
        parties = [Party(kind="organisation", name="unnumbered") for _ in expected]
        session.add_all(parties)
        await session.flush()
        numbers = [
            await sequences.assign_number(
                session, party, Party.name, "patterned", pattern, on=TODAY, per_year=False
            )
            for party in parties
        ]
        held = [(party.name, party.updated_at) for party in parties]
    assert numbers == expected
    assert expected == [sequences.format_number(pattern, number=start + n, on=TODAY) for n in (1, 2)]
    async with database.transaction(tenant_id=coop.id) as session:
        stored = await session.execute(
            select(Party.name, Party.updated_at).where(Party.id.in_([p.id for p in parties]))
        )
        # What the objects hold after numbering is what the database holds (the stamp too).
        assert sorted(tuple(row) for row in stored) == sorted(held)


async def test_only_a_row_in_the_database_is_numbered(database: Database, world: World) -> None:
    coop = await world.coop()
    async with database.transaction(tenant_id=coop.id) as session:
        party = Party(kind="organisation", name="unsaved")
        session.add(party)
        with pytest.raises(ValueError, match="add and flush it first"):
            await sequences.assign_number(
                session, party, Party.name, "s", "{number}", on=TODAY, per_year=False
            )
        assert await session.scalar(select(SequenceCounter).where(SequenceCounter.series == "s")) is None


async def test_a_row_of_another_tenant_is_never_numbered(database: Database, world: World) -> None:
    """The numbering statement names the row by its whole key; a row the session holds from another
    tenant is refused, and neither tenant's counter nor the row moves."""
    ours, theirs = await world.coop(), await world.coop()
    async with database.transaction(tenant_id=theirs.id) as session:
        party = Party(kind="organisation", name="theirs")
        session.add(party)
    async with database.session(tenant_id=theirs.id) as session:
        held = await session.get_one(Party, (theirs.id, party.id))
        session.info["tenant_id"] = ours.id
        with pytest.raises(TenantScopeError):
            await sequences.assign_number(
                session, held, Party.name, "stolen", "{number:03d}", on=TODAY, per_year=False
            )
        await session.rollback()
    async with database.session(tenant_id=theirs.id) as session:
        assert (await session.get_one(Party, (theirs.id, party.id))).name == "theirs"
        assert await session.scalar(select(SequenceCounter).where(SequenceCounter.series == "stolen")) is None
    async with database.session(tenant_id=ours.id) as session:
        assert await session.scalar(select(SequenceCounter).where(SequenceCounter.series == "stolen")) is None


async def test_the_audit_entry_naming_the_number_is_written_with_it(database: Database, world: World) -> None:
    """``log`` is written with the number added to its changes, in the numbering transaction: kept when
    it commits, gone with the number when it rolls back."""
    coop = await world.coop()
    actor = await world.person()
    entry = audit.Entry(actor.id, "party", "to be set", "number", {"why": "registered", "at": TODAY})
    async with database.transaction(tenant_id=coop.id) as session:
        party = Party(kind="organisation", name="unnumbered")
        session.add(party)
        await session.flush()
        logged = replace(entry, object_id=party.id)
        number = await sequences.assign_number(
            session, party, Party.name, "logged", "P{number:04d}", on=TODAY, per_year=False, log=logged
        )
    with pytest.raises(Rollback):
        async with database.transaction(tenant_id=coop.id) as session:
            other = await session.get_one(Party, (coop.id, party.id))
            other.name = "renumbered"
            await sequences.assign_number(
                session, other, Party.name, "logged", "P{number:04d}", on=TODAY, per_year=False, log=logged
            )
            raise Rollback
    async with database.session(tenant_id=coop.id) as session:
        rows = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "number"))).all()
    assert number == "P0001"
    assert [(r.object_id, r.actor_id, r.object_type, r.changes) for r in rows] == [
        (str(party.id), actor.id, "party", {"why": "registered", "at": "2026-03-07", "name": "P0001"})
    ]

"""Invoicing settings: read without writing, stored when changed."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from core.app import create_app
from core.db.engine import Database
from core.registry import ModuleRegistry
from core.settings import Settings
from modules.invoicing.services.settings import get_settings, settings_for_change
from tests.conftest import Coop, replace, same_loop_client
from tests.modules.invoicing.conftest import invoice_body, make_customer


async def test_a_tenants_settings_read_while_another_process_writes(
    settings: Settings, registry: ModuleRegistry, shop: Coop
) -> None:
    """Reading settings nobody has changed yet writes nothing: it answers with the defaults even while
    another process holds SQLite's write lock (a read that had to write waited for it, then 503)."""
    app = create_app(replace(settings, database_wait_seconds=0.5), registry)
    other = Database(settings.database_url)  # another process's connection, e.g. a CLI job
    async with same_loop_client(app) as client:
        async with other.write_engine.connect() as writing, writing.begin():
            await writing.execute(text("SELECT 1"))  # the transaction (on SQLite: the write lock) is open
            answer = await client.get(f"{shop.api}/invoicing/settings", headers=shop.owner.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["invoice_pattern"] == "INV-{year}-{number:05d}"
        assert answer.json()["reminder_days"] == [7, 21, 45]
        # Changing them stores them, and the change is what the next read shows.
        changed = await client.patch(
            f"{shop.api}/invoicing/settings", json={"payment_terms_days": 14}, headers=shop.owner.headers
        )
        assert changed.status_code == 200, changed.text
        again = await client.get(f"{shop.api}/invoicing/settings", headers=shop.owner.headers)
        assert (again.json()["payment_terms_days"], again.json()["reminder_days"]) == (14, [7, 21, 45])
    await other.dispose()


async def test_a_long_lived_session_sees_settings_stored_after_it_read_the_defaults(
    database: Database, shop: Coop
) -> None:
    """The defaults are remembered for one transaction only: a job's session that read them, committed
    and goes on sees settings someone stored meanwhile (a stale default would number or date its next
    invoices wrongly)."""
    job = database.session(tenant_id=shop.id)
    try:
        first = await get_settings(job)
        assert first.payment_terms_days == 30 and await get_settings(job) is first
        await job.commit()
        async with database.transaction(tenant_id=shop.id) as other:
            (await settings_for_change(other)).payment_terms_days = 10
        assert (await get_settings(job)).payment_terms_days == 10
        # Stored settings stay the session's own row: a change made through it is what it reads.
        stored = await settings_for_change(job)
        stored.payment_terms_days = 12
        assert (await get_settings(job)).payment_terms_days == 12
        await job.rollback()
        assert (await get_settings(job)).payment_terms_days == 10
    finally:
        await job.close()


async def test_storing_settings_finds_a_row_stored_after_the_defaults_were_read(
    database: Database, shop: Coop
) -> None:
    """A transaction that read the defaults, then changes the settings after another one stored them
    first, changes that stored row instead of failing on a duplicate (PostgreSQL: SQLite runs one
    writer at a time, so the other transaction cannot store them meanwhile)."""
    if database.is_sqlite:
        pytest.skip("SQLite writers never overlap")
    async with database.transaction(tenant_id=shop.id) as job:
        assert (await get_settings(job)).payment_terms_days == 30
        async with database.transaction(tenant_id=shop.id) as other:
            (await settings_for_change(other)).payment_terms_days = 10
        stored = await settings_for_change(job)
        assert stored.payment_terms_days == 10
        stored.payment_terms_days = 20
    async with database.session(tenant_id=shop.id) as session:
        assert (await get_settings(session)).payment_terms_days == 20


@pytest.mark.parametrize(
    "pattern",
    [
        "INV-{year}-{number:>20000000}",
        "INV-{year}-{number.__class__}",
        'INV-{year}-{number}";x=',
        "INV-{year}-{number:020d}",
    ],
)
async def test_a_number_pattern_outside_the_grammar_is_refused_naming_the_field(
    client: AsyncTestClient[Litestar], shop: Coop, pattern: str
) -> None:
    answer = await client.patch(
        f"{shop.api}/invoicing/settings", json={"invoice_pattern": pattern}, headers=shop.owner.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "invoice_pattern"
    kept = await client.get(f"{shop.api}/invoicing/settings", headers=shop.owner.headers)
    assert kept.json()["invoice_pattern"] == "INV-{year}-{number:05d}"


async def test_a_pattern_stored_before_the_grammar_cannot_number_an_invoice(
    client: AsyncTestClient[Litestar], shop: Coop, database: Database
) -> None:
    customer = await make_customer(client, shop)
    draft = await client.post(
        f"{shop.api}/invoices", json=invoice_body(customer["id"]), headers=shop.owner.headers
    )
    async with database.transaction(tenant_id=shop.id) as session:
        stored = await settings_for_change(session)
        stored.invoice_pattern = "INV-{year}-{number:>9000}"
    issued = await client.post(f"{shop.api}/invoices/{draft.json()['id']}/issue", headers=shop.owner.headers)
    assert issued.status_code == 422, issued.text
    again = await client.get(f"{shop.api}/invoices/{draft.json()['id']}", headers=shop.owner.headers)
    assert (again.json()["state"], again.json()["number"]) == ("draft", None)

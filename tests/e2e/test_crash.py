"""Nothing acknowledged is lost on a crash, and nothing is half-written: a served install takes a burst
of invoices and payments, is killed with SIGKILL in the middle of it, and starts again. Every write
answered 2xx is there, no issued invoice lacks its lines, and the invoice numbers still have no gap.
``coop db backup`` taken under the same kind of burst restores to a consistent install."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from core.db.migrate import sync_url
from core.settings import normalise_database_url
from tests.conftest import PG_URL, create_pg_database, drop_pg_database
from tests.e2e.serving import DEMO_EMAIL, DEMO_PASSWORD, coop, demo_env, start_server, stop_server

API = "/api/v1/tenants/demo"
WORKERS = 8
LINES = [
    {"description": "Vegetable boxes", "quantity": "2", "unit_price": "10.00", "vat_rate": "20"},
    {"description": "Delivery", "quantity": "1", "unit_price": "4.50", "vat_rate": "20"},
]


@dataclass
class Acknowledged:
    invoices: dict[str, str] = field(default_factory=dict)
    """Invoice id -> number, for every create+issue answered 201."""
    payments: dict[str, str] = field(default_factory=dict)
    """Payment id -> the invoice it paid, for every payment answered 201."""


@pytest.fixture(params=["sqlite", "postgresql"])
def install(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A migrated install with the demo co-op, on each database."""
    database_url = None
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("needs COOPSTACK_TEST_DATABASE_URL (a PostgreSQL server)")
        database_url = create_pg_database(PG_URL)
    env = demo_env(tmp_path, **({"COOPSTACK_DATABASE_URL": database_url} if database_url else {}))
    coop(env, "db", "upgrade")
    assert DEMO_EMAIL in coop(env, "demo")
    yield env
    if database_url is not None:
        assert PG_URL is not None
        drop_pg_database(PG_URL, database_url)


def token_of(base_url: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        signed_in = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        created = client.post("/api/v1/auth/tokens", json={"name": "crash test"})
        assert created.status_code == 201, created.text
        return str(created.json()["token"])


def customer_of(base_url: str, headers: dict[str, str]) -> str:
    found = httpx.get(f"{base_url}{API}/parties", params={"q": "Green"}, headers=headers, timeout=30)
    assert found.status_code == 200, found.text
    return str(found.json()["items"][0]["id"])


async def burst(
    base_url: str, headers: dict[str, str], customer: str, seen: Acknowledged, seconds: float
) -> None:
    """``WORKERS`` clients issuing invoices and paying every other one until the server stops answering
    or ``seconds`` pass; only what was answered 201 is recorded."""
    deadline = time.monotonic() + seconds
    today = time.strftime("%Y-%m-%d")

    async def worker(index: int) -> None:
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client:
            while time.monotonic() < deadline:
                try:
                    issued = await client.post(
                        f"{API}/invoices",
                        json={"customer_id": customer, "currency": "EUR", "lines": LINES, "issue": True},
                    )
                    if issued.status_code != 201:
                        continue
                    invoice = issued.json()
                    seen.invoices[invoice["id"]] = invoice["number"]
                    if index % 2:
                        paid = await client.post(
                            f"{API}/payments",
                            json={
                                "invoice_id": invoice["id"],
                                "amount": "5.00",
                                "date": today,
                                "method": "bank_transfer",
                            },
                        )
                        if paid.status_code == 201:
                            seen.payments[paid.json()["id"]] = invoice["id"]
                except httpx.TransportError:
                    return  # the server is gone

    await asyncio.gather(*(worker(index) for index in range(WORKERS)))


def check_consistent(env: dict[str, str]) -> set[str]:
    """No issued document without its lines, and the invoice numbers of each year without a gap from 1;
    the numbers found."""
    engine = create_engine(sync_url(normalise_database_url(env["COOPSTACK_DATABASE_URL"])))
    try:
        with engine.connect() as connection:
            lineless = connection.execute(
                text(
                    "SELECT count(*) FROM invoicing_document d WHERE d.state <> 'draft' AND NOT EXISTS"
                    " (SELECT 1 FROM invoicing_line l"
                    " WHERE l.tenant_id = d.tenant_id AND l.document_id = d.id)"
                )
            ).scalar_one()
            numbers = [
                row[0]
                for row in connection.execute(
                    text(
                        "SELECT number FROM invoicing_document WHERE kind = 'invoice' AND number IS NOT NULL"
                    )
                )
            ]
    finally:
        engine.dispose()
    assert lineless == 0
    by_year: dict[str, list[int]] = {}
    for number in numbers:
        year, sequence = re.fullmatch(r"INV-(\d{4})-(\d+)", number).groups()  # type: ignore[union-attr]
        by_year.setdefault(year, []).append(int(sequence))
    for year, taken in by_year.items():
        assert sorted(taken) == list(range(1, len(taken) + 1)), f"a gap or a duplicate in {year}"
    return set(numbers)


def check_acknowledged(base_url: str, headers: dict[str, str], seen: Acknowledged) -> None:
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for invoice_id, number in seen.invoices.items():
            found = client.get(f"{API}/invoices/{invoice_id}")
            assert found.status_code == 200, f"acknowledged invoice {number} is lost"
            assert found.json()["number"] == number and len(found.json()["lines"]) == len(LINES)
        for payment_id in seen.payments:
            assert client.get(f"{API}/payments/{payment_id}").status_code == 200, (
                "an acknowledged payment is lost"
            )


def test_a_server_killed_mid_burst_loses_nothing_it_acknowledged(
    install: dict[str, str], tmp_path: Path
) -> None:
    process, base_url = start_server(install, tmp_path)
    try:
        headers = {"Authorization": f"Bearer {token_of(base_url)}"}
        customer = customer_of(base_url, headers)
        seen = Acknowledged()

        async def crash() -> None:
            load = asyncio.create_task(burst(base_url, headers, customer, seen, seconds=30))
            while len(seen.invoices) < 15 and not load.done():
                await asyncio.sleep(0.02)
            stop_server(process, signal.SIGKILL)  # in the middle of the burst, as a power cut would
            await load

        asyncio.run(crash())
        assert len(seen.invoices) >= 15
    finally:
        stop_server(process, signal.SIGKILL)
    process, base_url = start_server(install, tmp_path)
    try:
        check_acknowledged(base_url, headers, seen)
        numbers = check_consistent(install)
        assert set(seen.invoices.values()) <= numbers
    finally:
        stop_server(process)


def test_a_backup_taken_under_writes_restores_a_consistent_install(
    install: dict[str, str], tmp_path: Path
) -> None:
    if not install["COOPSTACK_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("coop db backup copies the embedded SQLite database; PostgreSQL has pg_dump")
    process, base_url = start_server(install, tmp_path)
    backup = tmp_path / "backup.db"
    try:
        headers = {"Authorization": f"Bearer {token_of(base_url)}"}
        customer = customer_of(base_url, headers)
        before = Acknowledged()
        asyncio.run(burst(base_url, headers, customer, before, seconds=1))
        during = Acknowledged()

        async def back_up_under_load() -> None:
            load = asyncio.create_task(burst(base_url, headers, customer, during, seconds=3))
            await asyncio.sleep(0.5)
            await asyncio.to_thread(coop, install, "db", "backup", str(backup))
            await load

        asyncio.run(back_up_under_load())
    finally:
        stop_server(process)
    assert "restored" in coop(install, "db", "restore", str(backup), "--yes")
    process, base_url = start_server(install, tmp_path)
    try:
        check_acknowledged(base_url, headers, before)  # all that was written before the backup began
        numbers = check_consistent(install)
        assert set(before.invoices.values()) <= numbers
    finally:
        stop_server(process)

"""Invoicing figures: invoices created and issued per second through the API (1 and 16 clients), and
the invoice list's latency with many invoices in one tenant. Run by ``make bench`` (BENCH_ONLY=invoicing
for this part alone)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import httpx
from sqlalchemy import insert, text

from bench.api import Result, _env_float
from bench.server import (
    SLUG,
    CpuMeter,
    Install,
    _coop,
    _env,
    pg_scratch_database,
    pg_unreachable_reason,
    running_install,
)
from core.db.engine import Database
from core.settings import normalise_database_url

CLIENT_COUNTS = (1, 16)
DEFAULT_PG_URL = "postgresql://postgres@localhost:5432/test"


async def _prepare(install: Install) -> str:
    """Legal details for the tenant and one customer; returns the customer's id."""
    headers = {"Authorization": f"Bearer {install.token}"}
    async with httpx.AsyncClient(base_url=install.base_url, headers=headers, timeout=60) as client:
        api = f"/api/v1/tenants/{install.tenant}"
        patched = await client.patch(
            api,
            json={
                "legal_name": "Bench Co-op SCIC",
                "vat_id": "FR40303265045",
                "address": {"line1": "1 rue du Banc", "postcode": "69001", "city": "Lyon", "country": "FR"},
            },
        )
        patched.raise_for_status()
        customer = await client.post(
            f"{api}/parties",
            json={
                "kind": "organisation",
                "name": "Bench Customer",
                "vat_id": "DE136695976",
                "address": {"line1": "2 Marktplatz", "postcode": "04109", "city": "Leipzig", "country": "DE"},
            },
        )
        customer.raise_for_status()
        return str(customer.json()["id"])


def _invoice(customer_id: str) -> dict[str, object]:
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": [
            {"description": f"Item {n}", "quantity": str(n), "unit_price": "12.50", "vat_rate": "20"}
            for n in range(1, 6)
        ],
    }


async def _create_and_issue(
    install: Install, customer_id: str, clients: int, seconds: float, warmup: float, *, one_call: bool
) -> Result:
    """``clients`` loops of create+issue: two calls (POST a draft, POST its issue), or one call
    (POST with ``"issue": true``). The load generator is aiohttp, whose client costs a fraction of
    httpx's CPU time: it shares the machine's cores with the server. The CPU each process kind spends
    is measured too (``Result.cpu``)."""
    result = Result(install.backend, "create+issue (1 call)" if one_call else "create+issue", clients)
    api = f"{install.base_url}/api/v1/tenants/{install.tenant}/invoices"
    body = _invoice(customer_id)
    if one_call:
        body["issue"] = True
    connector = aiohttp.TCPConnector(limit=clients)
    headers = {"Authorization": f"Bearer {install.token}"}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as client:

        async def post(url: str, payload: dict[str, object] | None, expected: int) -> tuple[str, str]:
            async with client.post(url, json=payload) as answer:
                text = await answer.text()
                if answer.status != expected:
                    return "", f"HTTP {answer.status} from {url.rsplit('/', 1)[-1]}: {text[:200]}"
                return str(json.loads(text)["id"]), ""

        async def run(duration: float, record: bool) -> None:
            deadline = time.perf_counter() + duration

            async def one() -> None:
                while time.perf_counter() < deadline:
                    started = time.perf_counter()
                    try:
                        created, error = await post(api, body, 201)
                        if created and not one_call:
                            _, error = await post(f"{api}/{created}/issue", None, 200)
                    except (aiohttp.ClientError, TimeoutError) as exc:
                        error = f"{type(exc).__name__}: {exc}"
                    if record:
                        result.latencies.append(time.perf_counter() - started)
                        if error:
                            result.errors += 1
                            result.first_error = result.first_error or error

            began = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(clients)))
            if record:
                result.seconds = time.perf_counter() - began

        if warmup > 0:
            await run(warmup, False)
        meter = CpuMeter(install.pid, install.postmaster)
        meter.start()
        await run(seconds, True)
        meter.stop()
        if meter.available:
            result.cpu = meter.seconds
    return result


async def _seed_invoices(database_url: str, customer_id: str, count: int) -> None:
    """``count`` issued invoices straight into the table (volume for the list, not a measure of issuing)."""
    from core import tenants
    from modules.invoicing.models import Document

    database = Database(normalise_database_url(database_url))
    try:
        async with database.session(write=False) as session:
            tenant_id = (await tenants.tenant_by_slug(session, SLUG)).id
        today = date.today()  # noqa: DTZ011 - seed data
        rng = random.Random(7)
        now = datetime.now(UTC)
        number = itertools.count(1_000_000)
        for start in range(0, count, 5000):
            rows = []
            for n in range(start, min(start + 5000, count)):
                issued = today - timedelta(days=rng.randint(0, 720))
                gross = Decimal(rng.randint(1000, 500000)) / 100
                net = (gross / Decimal("1.2")).quantize(Decimal("0.01"))
                state = rng.choice(("issued", "paid", "paid", "partially_paid"))
                rows.append(
                    {
                        "tenant_id": tenant_id,
                        "id": uuid.uuid4(),
                        "kind": "invoice",
                        "state": state,
                        "number": f"SEED-{next(number)}",
                        "customer_id": uuid.UUID(customer_id),
                        "currency": "EUR",
                        "language": "en",
                        "issue_date": issued,
                        "due_date": issued + timedelta(days=30),
                        "payment_terms_days": 30,
                        "notes": "",
                        "total_lines": net,
                        "total_allowances": Decimal(0),
                        "total_charges": Decimal(0),
                        "total_net": net,
                        "total_vat": gross - net,
                        "total_gross": gross,
                        "prepaid": Decimal(0),
                        "amount_due": gross,
                        "amount_settled": gross if state == "paid" else Decimal(0),
                        "reminder_level": 0,
                        "created_at": now - timedelta(seconds=count - n),
                        "updated_at": now,
                    }
                )
            async with database.write_engine.begin() as connection:
                await connection.execute(insert(Document.__table__), rows)
        # Fresh statistics, as autovacuum gathers within a minute of a bulk load: measured right after
        # it, the planner would still think the table empty and pick its plans for that.
        async with database.write_engine.connect() as connection:
            await connection.execute(text("ANALYZE invoicing_document"))
            await connection.commit()
    finally:
        await database.dispose()


async def _list_latency(install: Install, requests: int) -> list[Result]:
    api = f"/api/v1/tenants/{install.tenant}/invoices"
    cases = {
        "list": {"limit": "50"},
        "list state=issued": {"limit": "50", "state": "issued"},
        "list overdue": {"limit": "50", "overdue": "true"},
    }
    results = []
    async with httpx.AsyncClient(
        base_url=install.base_url, headers={"Authorization": f"Bearer {install.token}"}, timeout=60
    ) as client:
        for name, params in cases.items():
            for _ in range(5):
                await client.get(api, params=params)
            result = Result(install.backend, name, 1)
            cursor = None
            began = time.perf_counter()
            for n in range(requests):
                query = dict(params)
                if cursor and n % 4:
                    query["cursor"] = cursor  # mostly deeper pages too
                started = time.perf_counter()
                answer = await client.get(api, params=query)
                result.latencies.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    result.errors += 1
                    result.first_error = result.first_error or answer.text[:200]
                    continue
                cursor = answer.json()["next_cursor"]
            result.seconds = time.perf_counter() - began
            results.append(result)
    return results


@contextlib.contextmanager
def _install(backend: str, url: str, workers: int) -> Iterator[Install]:
    with running_install(backend, url, workers=workers, seed=0) as install:
        with tempfile.TemporaryDirectory() as tmp:
            _coop(_env(url, Path(tmp)), "modules", "enable", "--tenant", SLUG, "invoicing")
        yield install


def run_backend(
    backend: str, url: str, workers: int, seconds: float, warmup: float, volume: int
) -> list[Result]:
    results = []
    with _install(backend, url, workers) as install:
        customer_id = asyncio.run(_prepare(install))
        for one_call in (False, True):
            for clients in CLIENT_COUNTS:
                result = asyncio.run(
                    _create_and_issue(install, customer_id, clients, seconds, warmup, one_call=one_call)
                )
                print(
                    f"  {backend:<10} {result.operation} {clients:>2} clients: {result.rate:7.1f}/s, "
                    f"{result.errors} errors",
                    flush=True,
                )
                results.append(result)
        began = time.perf_counter()
        asyncio.run(_seed_invoices(url, customer_id, volume))
        print(f"  {backend:<10} seeded {volume} invoices in {time.perf_counter() - began:.1f} s", flush=True)
        results += asyncio.run(_list_latency(install, int(_env_float("BENCH_LIST_REQUESTS", 200))))
    return results


def main() -> int:
    seconds = _env_float("BENCH_SECONDS", 5.0)
    warmup = _env_float("BENCH_WARMUP", 1.0)
    volume = int(_env_float("BENCH_INVOICES", 100_000))
    wanted = [
        b.strip() for b in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",") if b.strip()
    ]
    pg_server = os.environ.get("COOPSTACK_BENCH_PG_URL", DEFAULT_PG_URL)
    print(
        f"\nInvoicing: create+issue = POST /invoices (5 lines) then POST /invoices/{{id}}/issue, "
        f"{seconds:g} s per phase; list = GET /invoices?limit=50 with {volume} invoices in the tenant"
    )
    results: list[Result] = []
    for backend in wanted:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="coop-bench-inv-") as tmp:
                results += run_backend(
                    "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", 1, seconds, warmup, volume
                )
        elif backend == "postgresql":
            reason = pg_unreachable_reason(pg_server)
            if reason:
                print(f"postgresql skipped: {reason}")
                continue
            with pg_scratch_database(pg_server) as url:
                results += run_backend(
                    "postgresql", url, min(2, os.cpu_count() or 1), seconds, warmup, volume
                )
    print()
    print(
        f"{'backend':<10} {'operation':<18} {'clients':>7} {'count':>7} {'per s':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'errors':>6}"
    )
    for r in results:
        print(
            f"{r.backend:<10} {r.operation:<18} {r.clients:>7} {len(r.latencies):>7} {r.rate:>8.1f} "
            f"{r.percentile(50):>8.2f} {r.percentile(95):>8.2f} {r.errors:>6}"
        )
        if r.cpu_per_request():
            print(f"    per invoice: {r.cpu_per_request()}")
        if r.first_error:
            print(f"    first error: {r.first_error}")
    by = {(r.backend, r.operation, r.clients): r for r in results}
    for backend in ("sqlite", "postgresql"):
        one, many = by.get((backend, "create+issue", 1)), by.get((backend, "create+issue", 16))
        if one and many and one.rate:
            print(f"{backend}: create+issue 16 vs 1 clients x{many.rate / one.rate:.2f}")
    return 0

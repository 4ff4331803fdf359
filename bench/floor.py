"""What this machine allows for create+issue: Coopstack's API beside the floor under it, in one run.

The floor (``bench/floor_app.py``) answers the same two calls on the same database, through the same
HTTP server and framework, with the fewest statements they need and no checks beyond the token, the
membership, the module switch and the customer. Both are measured with the same load generator, and the
CPU that the server, PostgreSQL and the load generator spend per invoice is read from ``/proc``. On a
machine whose cores all three share, ``cores / CPU per invoice`` bounds the rate: the floor's figure is
the most that any server built on this stack could do here. Run by ``make bench`` (``BENCH_ONLY=floor``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

from bench.api import Result, _env_float
from bench.invoicing import DEFAULT_PG_URL, _create_and_issue, _install, _prepare
from bench.server import Install, pg_scratch_database, pg_unreachable_reason, plain_url, serve

CLIENT_COUNTS = (1, 16)
TARGET = 500  # invoices created+issued per second at 16 clients, the issue's target
SERIES = "floor"


def _counter(url: str) -> None:
    with psycopg.connect(plain_url(url), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO sequence_counter (tenant_id, series, period, value) "
            "SELECT id, %s, '', 0 FROM tenant",
            (SERIES,),
        )


def _row(name: str, result: Result) -> str:
    return (
        f"{name:<10} {result.clients:>7} {result.requests:>7} {result.rate:>8.1f} "
        f"{result.percentile(50):>8.2f} {result.percentile(95):>8.2f} {result.errors:>6}  "
        f"{result.cpu_per_request()}"
    )


@contextlib.contextmanager
def _servers(url: str, install: Install) -> Iterator[list[tuple[str, Install]]]:
    """Coopstack's server, the floor through asyncpg and the floor through SQLAlchemy, all serving."""
    env = {**os.environ, "FLOOR_DATABASE_URL": plain_url(url), "FLOOR_SERIES": SERIES}
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    command = [uvicorn, "bench.floor_app:app", "--host", "127.0.0.1", "--workers", str(install.workers)]
    command += ["--log-level", "warning", "--port"]
    with (
        tempfile.TemporaryDirectory(prefix="coop-bench-floor-") as tmp,
        serve(command, env, Path(tmp) / "asyncpg.log") as (bare_url, bare_pid),
        serve(command, {**env, "FLOOR_DRIVER": "sqlalchemy"}, Path(tmp) / "sa.log") as (via_url, via_pid),
    ):
        yield [
            ("Coopstack", install),
            ("floor", dataclasses.replace(install, base_url=bare_url, pid=bare_pid)),
            ("floor (SA)", dataclasses.replace(install, base_url=via_url, pid=via_pid)),
        ]


def main() -> int:
    seconds = _env_float("BENCH_SECONDS", 5.0)
    warmup = _env_float("BENCH_WARMUP", 1.0)
    pg_server = os.environ.get("COOPSTACK_BENCH_PG_URL", DEFAULT_PG_URL)
    cores = os.cpu_count() or 1
    print(
        f"\nFloor: create+issue in two calls on PostgreSQL, Coopstack's API beside a bare Litestar app doing "
        f"the fewest statements through asyncpg; {seconds:g} s per phase, {cores} cores"
    )
    reason = pg_unreachable_reason(pg_server)
    if reason:
        print(f"postgresql skipped: {reason}")
        return 0
    results: list[tuple[str, Result]] = []
    with pg_scratch_database(pg_server) as url, _install("postgresql", url, min(2, cores)) as install:
        customer_id = asyncio.run(_prepare(install))
        _counter(url)
        with _servers(url, install) as servers:
            for clients in CLIENT_COUNTS:
                for name, target in servers:
                    result = asyncio.run(
                        _create_and_issue(target, customer_id, clients, seconds, warmup, one_call=False)
                    )
                    print(f"  {name:<10} {clients:>2} clients: {result.rate:7.1f}/s", flush=True)
                    results.append((name, result))
    print()
    rates = " ".join(f"{head:>8}" for head in ("per s", "p50 ms", "p95 ms"))
    print(f"{'server':<10} {'clients':>7} {'count':>7} {rates} {'errors':>6}  per invoice")
    for name, result in results:
        print(_row(name, result))
        if result.first_error:
            print(f"    first error: {result.first_error}")
    by = {(name, r.clients): r for name, r in results}
    ours, bare, via = by.get(("Coopstack", 16)), by.get(("floor", 16)), by.get(("floor (SA)", 16))
    if ours and bare and bare.rate and ours.cpu and bare.cpu:
        budget = cores / TARGET * 1000
        ours_ms = sum(ours.cpu.values()) / ours.requests * 1000
        bare_ms = sum(bare.cpu.values()) / bare.requests * 1000
        print(
            f"At 16 clients Coopstack does x{ours.rate / bare.rate:.2f} of the floor's rate. {TARGET}/s on "
            f"{cores} cores leaves {budget:.2f} ms of CPU per invoice for server, PostgreSQL and load "
            f"generator together; the floor spends {bare_ms:.2f} ms, Coopstack {ours_ms:.2f} ms."
        )
    if via and via.cpu and via.requests:
        print(f"Through SQLAlchemy the floor spends {sum(via.cpu.values()) / via.requests * 1000:.2f} ms.")
    return 0
